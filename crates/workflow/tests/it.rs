//! Integration tests of the workflow engine against the shipped services: the building-permit
//! cycle step by step and its side paths, SLA clocks, form validation, load-time checks and
//! properties of random request sequences.

use std::collections::BTreeMap;

use daftar_types::{JalaliDate, Lang, TehranDateTime, Timestamp};
use daftar_workflow::{
    Actor, CaseSnapshot, Catalog, CatalogError, DefinitionError, DocumentProblem, Facts, FieldProblem,
    FieldValue, Guard, GuardProblem, Holidays, Outcome, Reads, SYSTEM, ServiceDefinition, Sla, SlaStatus,
    SubtaskState, TransitionError, Workflow, deadline, due_day, status, validate_form,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

// ---------------------------------------------------------------------------------------------
// Helpers

fn catalog() -> Catalog {
    Catalog::demo().expect("the demo catalog loads")
}

fn service(code: &str) -> ServiceDefinition {
    catalog().services().iter().find(|s| s.code == code).cloned().expect("the service is shipped")
}

fn permit() -> Workflow {
    service("building_permit").workflow
}

fn intake() -> Actor {
    Actor::new("u-intake", &["office_intake"])
}
fn manager() -> Actor {
    Actor::new("u-manager", &["office_manager"])
}
fn inspector() -> Actor {
    Actor::new("u-inspector", &["inspector"])
}
fn expert() -> Actor {
    Actor::new("u-expert", &["office_expert"])
}
fn citizen() -> Actor {
    Actor::new("u-citizen", &["citizen"])
}
fn reviewer() -> Actor {
    Actor::new("u-reviewer", &["municipal_reviewer"])
}
fn approver(id: &str) -> Actor {
    Actor::new(id, &["permit_approver"])
}

fn flag(name: &str) -> Facts {
    Facts::new().with_flag(name, true)
}

/// Fires at the case's current version and records the outcome, as a caller would.
fn step(workflow: &Workflow, case: &mut CaseSnapshot, action: &str, actor: &Actor, facts: Facts) -> Outcome {
    let outcome = workflow
        .fire(case, action, actor, case.version, &facts)
        .unwrap_or_else(|e| panic!("{action} in {}: {e}", case.state));
    case.apply(&outcome);
    outcome
}

fn advance(workflow: &Workflow, case: &mut CaseSnapshot, facts: Facts) -> Outcome {
    let outcome = workflow.advance(case, case.version, &facts).expect("advance");
    case.apply(&outcome);
    outcome
}

fn step_codes(outcome: &Outcome) -> Vec<&str> {
    outcome.steps.iter().map(|s| s.action.as_str()).collect()
}

/// A building-permit case taken to `state` along the happy path.
fn permit_case_at(state: &str) -> CaseSnapshot {
    let wf = permit();
    let mut case = wf.new_case();
    let path: Vec<(&str, Actor, Facts)> = vec![
        ("order_site_visit", intake(), flag("documents_complete")),
        ("schedule_site_visit", manager(), flag("inspector_assigned")),
        ("report_inspection", inspector(), flag("inspection_passed")),
        ("issue_instruction_sheet", expert(), flag("inspection_passed")),
        ("submit_drawings", citizen(), flag("drawings_attached").with_flag("plan_check_done", true)),
        (
            "accept_drawings",
            expert(),
            flag("expert_certified")
                .with_number("review_items_open", 0)
                .with_number("items_not_accepted", 0)
                .with_flag("needs_fire_inquiry", true),
        ),
    ];
    for (action, actor, facts) in path {
        if case.state == state {
            return case;
        }
        step(&wf, &mut case, action, &actor, facts);
    }
    assert_eq!(case.state, state, "the helper reaches only states up to the inquiries");
    case
}

// ---------------------------------------------------------------------------------------------
// The shipped catalog

#[test]
fn every_shipped_service_loads_and_validates() {
    let catalog = catalog();
    let codes: Vec<&str> = catalog.services().iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        ["building_permit", "completion_certificate", "no_violation_certificate", "fire_safety_approval"]
    );
    for service in catalog.services() {
        assert_eq!(service.version, 1);
        assert!(!service.workflow.states().is_empty());
        assert!(service.workflow.states().iter().any(|s| s.is_terminal()), "{}", service.code);
    }
}

#[test]
fn shipped_services_use_only_the_agreed_role_codes() {
    let agreed = [
        "citizen",
        "office_intake",
        "office_expert",
        "office_manager",
        "inspector",
        "municipal_reviewer",
        "permit_approver",
        "district_supervisor",
        "agency_officer",
        "system",
    ];
    for service in catalog().services() {
        for role in service.role_codes() {
            assert!(agreed.contains(&role), "{}: {role}", service.code);
        }
    }
}

#[test]
fn the_building_permit_definition() {
    let permit = service("building_permit");
    assert_eq!(permit.agency.code, "municipality");
    assert_eq!(permit.fee_service.as_deref(), Some("building_permit"));
    assert_eq!(permit.sla, Sla { working_days: 15, escalate_to: "district_supervisor".into() });
    assert_eq!(permit.name.get(Lang::Fa), "پروانه ساختمانی");
    let wf = &permit.workflow;
    assert_eq!(wf.initial(), "opened");
    assert_eq!(wf.state("opened").and_then(|s| s.sla.as_ref()).map(|s| s.working_days), Some(1));
    let visit: u32 = ["site_visit_ordered", "site_visit_scheduled"]
        .iter()
        .filter_map(|code| wf.state(code)?.sla.as_ref().map(|s| s.working_days))
        .sum();
    assert_eq!(visit, 3, "site visit within 3 days of the order");
    let inquiries: Vec<&str> = wf.subtasks_of("inquiries").map(|t| t.code.as_str()).collect();
    assert_eq!(
        inquiries,
        [
            "fire_inquiry",
            "water_inquiry",
            "power_inquiry",
            "gas_inquiry",
            "heritage_inquiry",
            "social_insurance_inquiry"
        ]
    );
    assert!(wf.subtasks().iter().all(|t| t.optional));
    let deed = permit.document("deed").expect("deed");
    assert!(deed.required && deed.mime_types.contains(&"application/pdf".to_owned()));
    assert_eq!(deed.max_bytes, 10 * 1024 * 1024);
    assert_eq!(
        wf.action("approve_second").map(|a| a.guards.clone()),
        Some(vec![Guard::DistinctActorOf("approve_first".into())])
    );
}

#[test]
fn another_agency_runs_on_the_same_engine() {
    let fire = service("fire_safety_approval");
    assert_eq!(fire.agency.code, "fire_department");
    assert_eq!(fire.fee_service, None);
    let wf = &fire.workflow;
    let mut case = wf.new_case();
    let officer = Actor::new("u-fire", &["agency_officer"]);
    step(wf, &mut case, "forward_to_agency", &intake(), flag("documents_complete"));
    step(wf, &mut case, "approve_plans", &officer, Facts::new());
    let failed = step(
        wf,
        &mut case,
        "report_inspection",
        &officer,
        Facts::new().with_flag("inspection_passed", false),
    );
    assert_eq!(step_codes(&failed), ["report_inspection", "order_reinspection"]);
    assert_eq!(case.state, "inspection_scheduled");
    step(wf, &mut case, "report_inspection", &inspector(), flag("inspection_passed"));
    let done = step(wf, &mut case, "issue_approval", &officer, flag("inspection_passed"));
    assert!(done.terminal);
    assert_eq!(case.state, "approved");
    assert_eq!(case.version, 6);
}

#[test]
fn catalog_versions() {
    let v1 = service("building_permit");
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.effective_from = JalaliDate::new(1406, 1, 1).unwrap();
    let catalog = Catalog::new(vec![v1.clone(), v2.clone()]).unwrap();
    let day = |y, m, d| JalaliDate::new(y, m, d).unwrap();
    assert_eq!(catalog.in_force("building_permit", day(1405, 6, 1)).map(|s| s.version), Some(1));
    assert_eq!(catalog.in_force("building_permit", day(1406, 1, 1)).map(|s| s.version), Some(2));
    assert_eq!(catalog.in_force("building_permit", day(1404, 12, 29)), None);
    assert_eq!(catalog.in_force("water_connection", day(1406, 1, 1)), None);
    assert_eq!(catalog.get("building_permit", 1), Some(&v1));
    assert_eq!(
        Catalog::new(vec![v1.clone(), v1]),
        Err(CatalogError::DuplicateVersion { code: "building_permit".into(), version: 1 })
    );
    let err = Catalog::from_sources([("broken.toml", "code = 1")]).unwrap_err();
    assert!(err.to_string().starts_with("broken.toml: "), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The building-permit cycle

#[test]
fn building_permit_happy_path_step_by_step() {
    let wf = permit();
    let mut case = wf.new_case();
    assert_eq!((case.state.as_str(), case.version), ("opened", 0));

    let o = step(&wf, &mut case, "order_site_visit", &intake(), flag("documents_complete"));
    assert_eq!((o.state.as_str(), o.version, o.entered, o.terminal), ("site_visit_ordered", 1, true, false));
    step(&wf, &mut case, "schedule_site_visit", &manager(), flag("inspector_assigned"));
    assert_eq!(case.state, "site_visit_scheduled");
    let o = step(&wf, &mut case, "report_inspection", &inspector(), flag("inspection_passed"));
    assert_eq!(step_codes(&o), ["report_inspection"], "a passed inspection waits for the instruction sheet");
    step(&wf, &mut case, "issue_instruction_sheet", &expert(), flag("inspection_passed"));
    assert_eq!(case.state, "instruction_sheet_issued");

    // The machine plan check finishes after submission; the case then moves on by itself.
    let o = step(&wf, &mut case, "submit_drawings", &citizen(), flag("drawings_attached"));
    assert_eq!((o.state.as_str(), o.version), ("drawings_submitted", 5));
    let nothing = advance(&wf, &mut case, Facts::new().with_flag("plan_check_done", false));
    assert!(nothing.steps.is_empty() && !nothing.entered);
    assert_eq!(nothing.version, 5);
    let o = advance(&wf, &mut case, flag("plan_check_done"));
    assert_eq!(step_codes(&o), ["complete_plan_check"]);
    assert_eq!((o.steps[0].actor_id.as_str(), o.steps[0].role.as_str()), (SYSTEM, SYSTEM));
    assert!(o.steps[0].automatic);
    assert_eq!((case.state.as_str(), case.version), ("expert_review", 6));

    // A certified expert settles an item the machine left for review, with a reason.
    let o = step(
        &wf,
        &mut case,
        "settle_review_item",
        &expert(),
        flag("expert_certified").with_reason("پارکینگ دوم با رمپ ۱۵٪ قابل قبول است"),
    );
    assert_eq!((o.state.as_str(), o.entered), ("expert_review", false));
    assert_eq!(o.steps[0].reason.as_deref(), Some("پارکینگ دوم با رمپ ۱۵٪ قابل قبول است"));

    let accept = flag("expert_certified")
        .with_number("review_items_open", 0)
        .with_number("items_not_accepted", 0)
        .with_flag("needs_fire_inquiry", true)
        .with_flag("needs_water_inquiry", true)
        .with_flag("needs_gas_inquiry", false);
    let o = step(&wf, &mut case, "accept_drawings", &expert(), accept);
    assert_eq!(o.state, "inquiries");
    assert_eq!(o.subtasks_to_open, ["fire_inquiry", "water_inquiry"]);

    // Inquiries answered one by one; the case leaves when the last one is.
    assert!(case.settle_subtask("fire_inquiry", SubtaskState::Answered));
    assert!(advance(&wf, &mut case, Facts::new()).steps.is_empty());
    assert!(case.settle_subtask("water_inquiry", SubtaskState::Answered));
    let o = advance(&wf, &mut case, Facts::new());
    assert_eq!((o.state.as_str(), step_codes(&o)), ("fee_assessment", vec!["close_inquiries"]));
    assert!(case.subtasks.is_empty());

    let o = step(
        &wf,
        &mut case,
        "issue_invoice",
        &expert(),
        flag("invoice_issued").with_number("fees_outstanding", 7_975_302_000),
    );
    assert_eq!(o.state, "awaiting_payment");
    let o = advance(&wf, &mut case, Facts::new().with_number("fees_outstanding", 0));
    assert_eq!((o.state.as_str(), step_codes(&o)), ("paid", vec!["confirm_payment"]));

    step(&wf, &mut case, "submit_draft", &expert(), flag("undertakings_signed"));
    step(&wf, &mut case, "approve_first", &approver("u-approver-a"), Facts::new());
    assert_eq!(case.state, "second_approval");
    step(&wf, &mut case, "approve_second", &approver("u-approver-b"), Facts::new());
    assert_eq!(case.state, "permit_issued");
    step(&wf, &mut case, "deliver_permit", &intake(), Facts::new());
    step(&wf, &mut case, "start_works", &citizen(), flag("supervisor_appointed"));
    assert_eq!(case.state, "works_in_progress");
    step(&wf, &mut case, "file_stage_report", &expert(), flag("stage_report_attached"));
    let o = step(&wf, &mut case, "request_completion", &citizen(), Facts::new());
    assert_eq!((o.state.as_str(), o.terminal), ("completion_requested", true));

    assert_eq!(case.version, 18);
    assert_eq!(case.history.len(), 18);
    assert_eq!(case.history[0].actor_id, "u-intake");
    assert_eq!(case.history[0].role, "office_intake");
    for actor in [intake(), citizen(), expert(), approver("x"), reviewer()] {
        assert!(wf.available_actions(&case, &actor, &Facts::new()).is_empty());
    }
}

#[test]
fn a_stale_or_repeated_transition_is_refused() {
    let wf = permit();
    let case = wf.new_case();
    let facts = flag("documents_complete");
    let first = wf.fire(&case, "order_site_visit", &intake(), 0, &facts).unwrap();
    let mut stored = case.clone();
    stored.apply(&first);
    // The same request again (a double click, a retried POST) carries the old version.
    let second = wf.fire(&stored, "order_site_visit", &intake(), 0, &facts).unwrap_err();
    assert_eq!(second, TransitionError::StaleVersion { expected: 0, current: 1 });
    assert!(second.message(Lang::En).contains("reload"));
    assert!(second.message(Lang::Fa).contains("دوباره بارگذاری"));
    // A version from the future is as stale as one from the past.
    assert!(matches!(
        wf.fire(&stored, "schedule_site_visit", &manager(), 7, &flag("inspector_assigned")),
        Err(TransitionError::StaleVersion { expected: 7, current: 1 })
    ));
    assert!(matches!(wf.advance(&stored, 0, &Facts::new()), Err(TransitionError::StaleVersion { .. })));
}

#[test]
fn a_role_not_listed_is_refused() {
    let wf = permit();
    let case = wf.new_case();
    let err = wf.fire(&case, "order_site_visit", &citizen(), 0, &flag("documents_complete")).unwrap_err();
    let TransitionError::RoleNotAllowed { action, allowed } = &err else { panic!("{err:?}") };
    assert_eq!(action.code, "order_site_visit");
    assert_eq!(allowed, &["office_intake", "office_expert"]);
    assert_eq!(err.message(Lang::En), "Your role may not take “Order a site visit”.");
    assert_eq!(err.message(Lang::Fa), "نقش شما اجازهٔ «صدور دستور بازدید» را ندارد.");
    // One of several roles is enough, and it is the one recorded.
    let both = Actor::new("u-2", &["citizen", "office_expert"]);
    let o = wf.fire(&case, "order_site_visit", &both, 0, &flag("documents_complete")).unwrap();
    assert_eq!(o.steps[0].role, "office_expert");
}

#[test]
fn guard_failures_name_the_guard_and_the_fact() {
    let wf = permit();
    let case = wf.new_case();
    let missing = wf.fire(&case, "order_site_visit", &intake(), 0, &Facts::new()).unwrap_err();
    assert_eq!(
        missing,
        TransitionError::GuardFailed {
            action: wf.action("order_site_visit").unwrap().label(),
            guard: Guard::FactTrue("documents_complete".into()),
            problem: GuardProblem::FactMissing { fact: "documents_complete".into() },
        }
    );
    assert_eq!(
        missing.message(Lang::En),
        "“Order a site visit” cannot be taken: the condition fact_true(documents_complete) needs \
         “documents_complete”, which has not been recorded yet."
    );
    assert!(missing.message(Lang::Fa).contains("documents_complete"));

    let false_flag = Facts::new().with_flag("documents_complete", false);
    let err = wf.fire(&case, "order_site_visit", &intake(), 0, &false_flag).unwrap_err();
    assert!(err.message(Lang::En).ends_with("“documents_complete” is no."), "{}", err.message(Lang::En));
    assert!(err.message(Lang::Fa).contains("«خیر»"));

    let mut delivered = permit_case_at("inquiries");
    delivered.state = "permit_delivered".into();
    let owing = Facts::new().with_number("fees_outstanding", 2_500_000);
    let err = wf.fire(&delivered, "extend_permit", &approver("a"), delivered.version, &owing).unwrap_err();
    assert!(matches!(
        &err,
        TransitionError::GuardFailed { problem: GuardProblem::FactNotZero { value: 2_500_000, .. }, .. }
    ));
    assert!(
        err.message(Lang::En).contains("“fees_outstanding” is 2,500,000, not zero"),
        "{}",
        err.message(Lang::En)
    );
    assert!(err.message(Lang::Fa).contains("۲٬۵۰۰٬۰۰۰"), "{}", err.message(Lang::Fa));
}

#[test]
fn the_first_failing_guard_is_reported() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.state = "expert_review".into();
    let facts =
        flag("expert_certified").with_number("review_items_open", 2).with_number("items_not_accepted", 1);
    let err = wf.fire(&case, "accept_drawings", &expert(), case.version, &facts).unwrap_err();
    let TransitionError::GuardFailed { guard, .. } = err else { panic!("{err:?}") };
    assert_eq!(guard, Guard::FactZero("review_items_open".into()));
}

#[test]
fn a_failed_inspection_schedules_a_re_inspection() {
    let wf = permit();
    let mut case = permit_case_at("site_visit_scheduled");
    let before = case.version;
    let o = step(
        &wf,
        &mut case,
        "report_inspection",
        &inspector(),
        Facts::new().with_flag("inspection_passed", false),
    );
    assert_eq!(step_codes(&o), ["report_inspection", "order_reinspection"]);
    assert_eq!(
        (o.steps[1].from.as_str(), o.steps[1].to.as_str()),
        ("inspection_reported", "site_visit_scheduled")
    );
    assert_eq!(o.state, "site_visit_scheduled");
    assert!(o.entered, "the re-inspection starts a fresh SLA clock");
    assert_eq!(o.version, before + 2);
    // The instruction sheet cannot be issued on a failed inspection.
    let o = step(&wf, &mut case, "report_inspection", &inspector(), flag("inspection_passed"));
    assert_eq!(o.state, "inspection_reported");
    let err = wf
        .fire(
            &case,
            "issue_instruction_sheet",
            &expert(),
            case.version,
            &Facts::new().with_flag("inspection_passed", false),
        )
        .unwrap_err();
    assert!(matches!(err, TransitionError::GuardFailed { .. }));
}

#[test]
fn a_waived_fee_advances_through_awaiting_payment_by_itself() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.settle_subtask("fire_inquiry", SubtaskState::Answered);
    advance(&wf, &mut case, Facts::new());
    assert_eq!(case.state, "fee_assessment");
    let before = case.version;
    let waived = flag("invoice_issued").with_number("fees_outstanding", 0);
    let o = step(&wf, &mut case, "issue_invoice", &expert(), waived);
    assert_eq!(step_codes(&o), ["issue_invoice", "confirm_payment"]);
    assert_eq!((o.state.as_str(), o.version), ("paid", before + 2));
    assert!(o.steps[1].automatic);
}

#[test]
fn automatic_actions_cannot_be_taken_by_hand() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.state = "awaiting_payment".into();
    let everyone = Actor::new("u", &["office_expert", "system", "permit_approver"]);
    let err = wf.fire(&case, "confirm_payment", &everyone, case.version, &Facts::new()).unwrap_err();
    assert!(matches!(err, TransitionError::Automatic { .. }));
    assert!(err.message(Lang::En).contains("automatically"));
}

#[test]
fn two_person_rule_for_the_approvals() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.state = "first_approval".into();
    step(&wf, &mut case, "approve_first", &approver("u-approver-a"), Facts::new());
    let same =
        wf.fire(&case, "approve_second", &approver("u-approver-a"), case.version, &Facts::new()).unwrap_err();
    assert_eq!(
        same,
        TransitionError::GuardFailed {
            action: wf.action("approve_second").unwrap().label(),
            guard: Guard::DistinctActorOf("approve_first".into()),
            problem: GuardProblem::SameActor { action: "approve_first".into() },
        }
    );
    assert!(same.message(Lang::En).contains("two-person rule"));
    assert!(same.message(Lang::Fa).contains("قاعدهٔ دو نفر"));
    // The UI shows the approver why the button is disabled.
    let offered = wf.available_actions(&case, &approver("u-approver-a"), &Facts::new());
    let second = offered.iter().find(|a| a.action.code == "approve_second").expect("offered");
    assert!(second.blocked.is_some());

    let o = step(&wf, &mut case, "approve_second", &approver("u-approver-b"), Facts::new());
    assert_eq!(o.state, "permit_issued");
}

#[test]
fn the_two_person_rule_looks_at_the_latest_first_approval() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.state = "first_approval".into();
    step(&wf, &mut case, "approve_first", &approver("a"), Facts::new());
    step(&wf, &mut case, "return_to_review", &approver("b"), Facts::new().with_reason("ارتفاع جان‌پناه"));
    case.state = "first_approval".into();
    step(&wf, &mut case, "approve_first", &approver("b"), Facts::new());
    // `a` approved first only in the earlier round, so `a` may now approve second; `b` may not.
    assert!(wf.fire(&case, "approve_second", &approver("b"), case.version, &Facts::new()).is_err());
    assert!(wf.fire(&case, "approve_second", &approver("a"), case.version, &Facts::new()).is_ok());
}

#[test]
fn a_step_reads_only_what_its_guards_and_the_chain_after_it_name() {
    let wf = permit();
    // Returning documents and sending them back have no guards and nothing automatic follows.
    assert_eq!(wf.reads("opened", Some("return_documents")), Reads::default());
    assert_eq!(wf.reads("documents_correction", Some("resubmit_documents")), Reads::default());
    // The second approval compares its actor with the first approval's, and nothing else.
    let second = wf.reads("second_approval", Some("approve_second"));
    assert_eq!(second.performers_of.iter().collect::<Vec<_>>(), ["approve_first"]);
    assert!(second.facts.is_empty() && !second.subtasks);
    // Submitting drawings needs them attached, and the step that follows by itself needs the
    // machine's check done.
    let drawings = wf.reads("instruction_sheet_issued", Some("submit_drawings"));
    assert_eq!(drawings.facts.iter().collect::<Vec<_>>(), ["drawings_attached", "plan_check_done"]);
    // Accepting them enters the inquiries: the parcel's facts decide which optional ones open,
    // and the inquiries close by themselves once settled.
    let accepted = wf.reads("expert_review", Some("accept_drawings"));
    assert!(accepted.needs_fact("expert_certified") && accepted.needs_fact("needs_fire_inquiry"));
    assert!(accepted.subtasks && !accepted.needs_history());
}

#[test]
fn subtasks_must_be_settled_before_leaving() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    assert_eq!(case.subtasks.len(), 1);
    let reject = Facts::new().with_reason("پلاک در حریم رودخانه است");
    let err = wf.fire(&case, "reject", &reviewer(), case.version, &reject).unwrap_err();
    let TransitionError::SubtasksUnsettled { state, pending } = &err else { panic!("{err:?}") };
    assert_eq!(state.code, "inquiries");
    assert_eq!(pending.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), ["fire_inquiry"]);
    assert_eq!(
        err.message(Lang::En),
        "The case cannot leave “Inquiries” until these are settled: Fire department inquiry."
    );
    assert!(err.message(Lang::Fa).contains("استعلام آتش‌نشانی"));
    assert!(advance(&wf, &mut case, Facts::new()).steps.is_empty(), "no automatic exit either");

    // Withdrawing the optional inquiry settles it.
    case.settle_subtask("fire_inquiry", SubtaskState::Withdrawn);
    assert!(!case.settle_subtask("gas_inquiry", SubtaskState::Answered), "never opened");
    let o = wf.fire(&case, "reject", &reviewer(), case.version, &reject).unwrap();
    assert_eq!((o.state.as_str(), o.terminal), ("rejected", true));
}

#[test]
fn no_inquiry_needed_means_no_stop_at_inquiries() {
    let wf = permit();
    let mut case = permit_case_at("expert_review");
    let facts =
        flag("expert_certified").with_number("review_items_open", 0).with_number("items_not_accepted", 0);
    let o = step(&wf, &mut case, "accept_drawings", &expert(), facts);
    assert_eq!(step_codes(&o), ["accept_drawings", "close_inquiries"]);
    assert_eq!(o.state, "fee_assessment");
    assert!(o.subtasks_to_open.is_empty());
}

#[test]
fn required_subtasks_open_always_and_cannot_be_withdrawn() {
    let source = tiny(
        &[("a", "normal"), ("b", "normal"), ("c", "terminal")],
        r#"
        [[workflow.actions]]
        code = "go"
        name_fa = "برو"
        name_en = "Go"
        from = ["a"]
        to = "b"
        roles = ["office_expert"]

        [[workflow.actions]]
        code = "done"
        name_fa = "پایان"
        name_en = "Done"
        from = ["b"]
        to = "c"
        auto = true
        guards = ["subtasks_settled"]

        [[workflow.subtasks]]
        code = "survey"
        name_fa = "نقشه‌برداری"
        name_en = "Survey"
        state = "b"
        agency = { code = "survey_office", name_fa = "اداره نقشه‌برداری", name_en = "Survey office" }
        "#,
    );
    let wf = ServiceDefinition::from_toml(&source).expect("loads").workflow;
    let mut case = wf.new_case();
    let o = step(&wf, &mut case, "go", &expert(), Facts::new());
    assert_eq!(o.subtasks_to_open, ["survey"]);
    case.settle_subtask("survey", SubtaskState::Withdrawn);
    assert!(advance(&wf, &mut case, Facts::new()).steps.is_empty());
    case.settle_subtask("survey", SubtaskState::Answered);
    assert_eq!(advance(&wf, &mut case, Facts::new()).state, "c");
}

#[test]
fn a_reason_is_required_where_the_action_says_so() {
    let wf = permit();
    let case = wf.new_case();
    for facts in [Facts::new(), Facts::new().with_reason("  \u{200c} ")] {
        let err = wf.fire(&case, "return_documents", &intake(), 0, &facts).unwrap_err();
        assert!(matches!(err, TransitionError::ReasonRequired { .. }));
        assert_eq!(err.message(Lang::Fa), "برای «بازگشت برای تکمیل مدارک» باید دلیل را بنویسید.");
    }
    let o = wf
        .fire(&case, "return_documents", &intake(), 0, &Facts::new().with_reason("سند ناخوانا است"))
        .unwrap();
    assert_eq!(o.state, "documents_correction");
    assert_eq!(o.steps[0].reason.as_deref(), Some("سند ناخوانا است"));
}

#[test]
fn unknown_and_unavailable_actions() {
    let wf = permit();
    let case = wf.new_case();
    let err = wf.fire(&case, "teleport", &intake(), 0, &Facts::new()).unwrap_err();
    assert_eq!(err, TransitionError::UnknownAction { action: "teleport".into() });
    let err = wf.fire(&case, "deliver_permit", &intake(), 0, &Facts::new()).unwrap_err();
    let TransitionError::NotAvailable { action, state } = &err else { panic!("{err:?}") };
    assert_eq!((action.code.as_str(), state.code.as_str()), ("deliver_permit", "opened"));
    assert_eq!(err.message(Lang::Fa), "«تحویل پروانه» در وضعیت «تشکیل پرونده» امکان‌پذیر نیست.");
    assert_eq!(
        err.message(Lang::En),
        "“Deliver the permit” is not possible while the case is at “Case opened”."
    );
    let mut lost = case.clone();
    lost.state = "limbo".into();
    assert_eq!(
        wf.fire(&lost, "order_site_visit", &intake(), 0, &Facts::new()),
        Err(TransitionError::UnknownState { state: "limbo".into() })
    );
    assert!(wf.available_actions(&lost, &intake(), &Facts::new()).is_empty());
}

#[test]
fn available_actions_for_a_ui() {
    let wf = permit();
    let case = permit_case_at("expert_review");
    let facts =
        flag("expert_certified").with_number("review_items_open", 1).with_number("items_not_accepted", 0);
    let offered = wf.available_actions(&case, &expert(), &facts);
    let codes: Vec<&str> = offered.iter().map(|a| a.action.code.as_str()).collect();
    assert_eq!(codes, ["settle_review_item", "accept_drawings", "return_drawings"]);
    let blocked: Vec<bool> = offered.iter().map(|a| a.blocked.is_some()).collect();
    assert_eq!(blocked, [false, true, false]);
    assert!(offered[0].action.requires_reason);
    assert!(wf.available_actions(&case, &citizen(), &facts).is_empty());
}

#[test]
fn the_permit_expires_when_the_caller_says_the_deadline_passed() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.state = "works_in_progress".into();
    let o = advance(&wf, &mut case, flag("completion_deadline_passed"));
    assert_eq!((o.state.as_str(), o.terminal), ("expired", true));
}

#[test]
fn an_extension_keeps_the_works_going() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    case.state = "works_in_progress".into();
    let o = step(
        &wf,
        &mut case,
        "extend_permit",
        &approver("a"),
        Facts::new().with_number("fees_outstanding", 0),
    );
    assert_eq!(o.state, "extended");
    step(&wf, &mut case, "file_stage_report", &expert(), flag("stage_report_attached"));
    assert_eq!(case.state, "works_in_progress");
}

#[test]
fn completion_certificate_paths() {
    let wf = service("completion_certificate").workflow;
    let mut case = wf.new_case();
    step(&wf, &mut case, "schedule_inspection", &manager(), flag("as_built_drawings_attached"));
    let deviation = Facts::new().with_flag("inspection_passed", false).with_flag("violation_open", false);
    let o = step(&wf, &mut case, "report_inspection", &inspector(), deviation);
    assert_eq!(step_codes(&o), ["report_inspection", "order_reinspection"]);
    let violation = Facts::new().with_flag("inspection_passed", false).with_flag("violation_open", true);
    let o = step(&wf, &mut case, "report_inspection", &inspector(), violation);
    assert_eq!(
        (o.state.as_str(), step_codes(&o)),
        ("article_100_commission", vec!["report_inspection", "refer_to_commission"])
    );
    step(&wf, &mut case, "record_ruling", &reviewer(), Facts::new().with_reason("جریمه پرداخت شد"));
    let passed = flag("inspection_passed").with_flag("violation_open", false);
    step(&wf, &mut case, "report_inspection", &inspector(), passed.clone());
    step(&wf, &mut case, "approve_certificate", &approver("a"), passed.with_number("fees_outstanding", 0));
    let o = step(&wf, &mut case, "deliver_certificate", &intake(), Facts::new());
    assert!(o.terminal);
}

#[test]
fn snapshots_and_outcomes_serialise() {
    let wf = permit();
    let mut case = permit_case_at("inquiries");
    let o = advance(&wf, &mut case, Facts::new());
    let json = serde_json::to_string(&case).unwrap();
    assert_eq!(serde_json::from_str::<CaseSnapshot>(&json).unwrap(), case);
    let json = serde_json::to_string(&o).unwrap();
    assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), o);
}

// ---------------------------------------------------------------------------------------------
// SLA clocks

fn day(y: i32, m: u8, d: u8) -> JalaliDate {
    JalaliDate::new(y, m, d).unwrap()
}

fn at(date: JalaliDate, hour: u8) -> Timestamp {
    TehranDateTime::new(date, hour, 0, 0).unwrap().to_timestamp()
}

#[test]
fn deadlines_skip_fridays_and_holidays() {
    // 1405/02/02 is a Wednesday, 1405/02/04 a Friday.
    assert_eq!(day(1405, 2, 2).weekday(), daftar_types::Weekday::Wednesday);
    let sla = Sla { working_days: 3, escalate_to: "district_supervisor".into() };
    let entered = at(day(1405, 2, 2), 10);
    let none = Holidays::default();
    // Thursday, (Friday), Saturday, Sunday.
    assert_eq!(due_day(entered, &sla, &none), day(1405, 2, 6));
    let holiday = Holidays::new([day(1405, 2, 5)]);
    // Thursday, (Friday), (the holiday), Sunday, Monday.
    assert_eq!(due_day(entered, &sla, &holiday), day(1405, 2, 7));
    assert_eq!(deadline(entered, &sla, &holiday), day(1405, 2, 8).start_of_day_tehran());
    // Entering on Thursday with one day: due on Saturday, not on the Friday.
    let one = Sla { working_days: 1, escalate_to: "office_manager".into() };
    assert_eq!(due_day(at(day(1405, 2, 3), 16), &one, &none), day(1405, 2, 5));
}

#[test]
fn sla_status_and_escalation() {
    let sla = Sla { working_days: 3, escalate_to: "district_supervisor".into() };
    let holidays = Holidays::new([day(1405, 2, 5)]);
    let entered = at(day(1405, 2, 2), 10);
    let status_at = |date, hour| status(at(date, hour), entered, &sla, &holidays);
    assert_eq!(status_at(day(1405, 2, 2), 11), SlaStatus::OnTime { remaining: 3 });
    assert_eq!(status_at(day(1405, 2, 4), 9), SlaStatus::OnTime { remaining: 2 }, "Friday");
    assert_eq!(status_at(day(1405, 2, 6), 9), SlaStatus::OnTime { remaining: 1 });
    assert_eq!(status_at(day(1405, 2, 7), 0), SlaStatus::DueToday);
    assert_eq!(status_at(day(1405, 2, 7), 23), SlaStatus::DueToday);
    let since = day(1405, 2, 8).start_of_day_tehran();
    let breached = SlaStatus::Breached { since, escalate_to: "district_supervisor".into() };
    assert_eq!(status(since, entered, &sla, &holidays), breached);
    assert_eq!(status_at(day(1405, 3, 1), 12), breached);
}

#[test]
fn the_permit_clocks_come_from_the_definition() {
    let permit = service("building_permit");
    let entered = at(day(1405, 2, 2), 10);
    let visit = permit.workflow.state("site_visit_scheduled").and_then(|s| s.sla.clone()).unwrap();
    let late = at(day(1405, 2, 9), 9);
    assert_eq!(
        status(late, entered, &visit, &Holidays::default()),
        SlaStatus::Breached {
            since: day(1405, 2, 6).start_of_day_tehran(),
            escalate_to: "district_supervisor".into()
        }
    );
    // Fifteen working days from Wednesday 1405/02/02: three Fridays fall in between.
    assert_eq!(due_day(entered, &permit.sla, &Holidays::default()), day(1405, 2, 20));
}

// ---------------------------------------------------------------------------------------------
// Forms

fn permit_form() -> BTreeMap<String, String> {
    [
        ("applicant_type", "person"),
        ("owner_national_id", "۰۰۷۶۲۲۹۶۴۵"),
        ("mobile", "۰۹۱۲ ۱۲۳ ۴۵۶۷"),
        ("renovation_code", "۱۲-۳۴۵-۶۷"),
        ("registry_plate", "۱۲۳/۴۵"),
        ("district", "۶"),
        ("deed_area", "۲۵۰٫۵"),
        ("postal_code", "1134567891"),
        ("address", "تهران، خيابان  ولي‌عصر، كوچه ۵"),
        ("requested_floors", "4"),
        ("deed_date", "۱۴۰۳/۰۵/۱۲"),
        ("consolidation", "بله"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[test]
fn a_form_in_persian_digits_is_accepted_and_canonicalised() {
    let permit = service("building_permit");
    let form = validate_form(&permit, &permit_form()).unwrap_or_else(|e| panic!("{e:?}"));
    let text = |code: &str| match form.get(code) {
        Some(FieldValue::Text(t)) => t.clone(),
        other => panic!("{code}: {other:?}"),
    };
    match form.get("owner_national_id") {
        Some(FieldValue::NationalId(id)) => assert_eq!(id.as_str(), "0076229645"),
        other => panic!("{other:?}"),
    }
    match form.get("mobile") {
        Some(FieldValue::Mobile(m)) => assert_eq!(m.as_str(), "+989121234567"),
        other => panic!("{other:?}"),
    }
    assert_eq!(form.get("district"), Some(&FieldValue::Integer(6)));
    assert_eq!(form.get("deed_area"), Some(&FieldValue::Decimal(Decimal::new(2505, 1))));
    assert_eq!(form.get("deed_date"), Some(&FieldValue::Date(day(1403, 5, 12))));
    assert_eq!(form.get("consolidation"), Some(&FieldValue::Bool(true)));
    assert_eq!(form.get("applicant_type"), Some(&FieldValue::Choice("person".into())));
    assert_eq!(text("address"), "تهران، خیابان ولی‌عصر، کوچه ۵");
    assert_eq!(form.get("company_id"), None, "optional and not given");
}

#[test]
fn a_bad_national_id_names_the_field() {
    let permit = service("building_permit");
    let mut form = permit_form();
    form.insert("owner_national_id".into(), "0684159415".into());
    let errors = validate_form(&permit, &form).unwrap_err();
    assert_eq!(errors.len(), 1);
    let error = &errors[0];
    assert_eq!(error.field, "owner_national_id");
    assert!(matches!(error.problem, FieldProblem::Id(daftar_types::IdError::Checksum)));
    assert!(
        error.message(Lang::Fa).starts_with("«کد ملی مالک یا نماینده»: رقم کنترل"),
        "{}",
        error.message(Lang::Fa)
    );
    assert!(
        error.message(Lang::En).starts_with("“National ID of the owner or representative”: The check digit"),
        "{}",
        error.message(Lang::En)
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let permit = service("building_permit");
    let mut form = permit_form();
    form.insert("favourite_colour".into(), "blue".into());
    form.remove("mobile");
    form.insert("district".into(), "۲۳".into());
    form.insert("requested_floors".into(), "four".into());
    form.insert("applicant_type".into(), "robot".into());
    form.insert("registry_plate".into(), "۱".repeat(31));
    form.insert("deed_date".into(), "1403/13/01".into());
    form.insert("consolidation".into(), "maybe".into());
    form.insert("postal_code".into(), "1234567890".into());
    let errors = validate_form(&permit, &form).unwrap_err();
    let found: Vec<(&str, String)> = errors.iter().map(|e| (e.field.as_str(), e.message(Lang::En))).collect();
    let expect = [
        ("favourite_colour", "“favourite_colour”: This service has no such field."),
        ("mobile", "“Mobile number”: This field is required."),
        ("registry_plate", "“Registry plate (main/sub)”: At most 30 characters are allowed."),
        ("district", "“Municipal district”: Must be at most 22."),
        ("postal_code", "“Postal code”: The first five digits cannot include 0 or 2."),
        ("requested_floors", "“Floors requested”: Enter a whole number."),
        ("deed_date", "“Deed date”: The month must be between 1 and 12."),
        ("consolidation", "“Parcel consolidation”: Choose yes or no."),
    ];
    for (field, message) in expect {
        assert!(found.iter().any(|(f, m)| *f == field && m == message), "{field}: {found:#?}");
    }
    let choice = errors.iter().find(|e| e.field == "applicant_type").unwrap();
    assert_eq!(
        choice.message(Lang::Fa),
        "«نوع متقاضی»: یکی از این گزینه‌ها را انتخاب کنید: شخص حقیقی، شخص حقوقی."
    );
    let district = errors.iter().find(|e| e.field == "district").unwrap();
    assert_eq!(district.message(Lang::Fa), "«منطقه شهرداری»: نباید بیشتر از ۲۲ باشد.");
    assert_eq!(errors.len(), expect.len() + 1);
}

#[test]
fn an_unknown_field_alone_is_refused() {
    let permit = service("building_permit");
    let mut form = permit_form();
    form.insert("owner_name ".into(), "x".into());
    let errors = validate_form(&permit, &form).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].problem, FieldProblem::Unknown);
    assert_eq!(errors[0].name, None);
}

#[test]
fn uploads_are_checked_against_the_document_list() {
    let permit = service("building_permit");
    let deed = permit.document("deed").unwrap();
    assert_eq!(deed.check("application/pdf", 200_000), Ok(()));
    assert_eq!(deed.check("Application/PDF; charset=binary", 200_000), Ok(()));
    let err = deed.check("application/zip", 200_000).unwrap_err();
    assert_eq!(err.document, "deed");
    assert_eq!(
        err.message(Lang::En),
        "“Title deed”: this type of file is not accepted; accepted types: application/pdf, image/jpeg, image/png."
    );
    let err = deed.check("image/png", 11 * 1024 * 1024).unwrap_err();
    assert_eq!(err.problem, DocumentProblem::TooLarge { max_bytes: 10 * 1024 * 1024 });
    assert_eq!(err.message(Lang::Fa), "«سند مالکیت»: حجم پرونده بیش از ۱۰ مگابایت است.");
    assert_eq!(deed.check("image/png", 0).unwrap_err().problem, DocumentProblem::Empty);

    let missing: Vec<&str> = permit.missing_documents(["deed"]).iter().map(|d| d.code.as_str()).collect();
    assert_eq!(missing, ["owner_id_card"]);
    assert!(permit.missing_documents(["deed", "owner_id_card"]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Load-time validation

/// A small service with the given states (`(code, kind)`) and workflow TOML after them.
fn tiny(states: &[(&str, &str)], rest: &str) -> String {
    let mut source = String::from(
        r#"
        code = "tiny"
        version = 1
        effective_from = "1405/01/01"
        name_fa = "خدمت کوچک"
        name_en = "Tiny service"
        sla_days = 5
        escalate_to = "office_manager"

        [agency]
        code = "municipality"
        name_fa = "شهرداری"
        name_en = "Municipality"

        [workflow]
        initial = "a"
        "#,
    );
    for (code, kind) in states {
        source.push_str(&format!(
            "\n[[workflow.states]]\ncode = \"{code}\"\nname_fa = \"وضعیت {code}\"\n\
             name_en = \"State {code}\"\nkind = \"{kind}\"\n"
        ));
    }
    source.push_str(rest);
    source
}

fn action(code: &str, from: &[&str], to: &str, extra: &str) -> String {
    let from: Vec<String> = from.iter().map(|f| format!("\"{f}\"")).collect();
    let roles = if extra.contains("auto = true") { "" } else { "roles = [\"office_expert\"]\n" };
    format!(
        "\n[[workflow.actions]]\ncode = \"{code}\"\nname_fa = \"اقدام {code}\"\nname_en = \"Action {code}\"\n\
         from = [{}]\nto = \"{to}\"\n{roles}{extra}\n",
        from.join(", ")
    )
}

fn load_error(source: &str) -> DefinitionError {
    ServiceDefinition::from_toml(source).expect_err("the definition is refused")
}

const AB_C: [(&str, &str); 3] = [("a", "normal"), ("b", "normal"), ("c", "terminal")];

#[test]
fn the_tiny_service_loads() {
    let source = tiny(&AB_C, &(action("go", &["a"], "b", "") + &action("end", &["b"], "c", "")));
    let service = ServiceDefinition::from_toml(&source).unwrap();
    assert_eq!(service.workflow.states().len(), 3);
}

#[test]
fn an_action_with_an_unknown_state_is_refused() {
    let source = tiny(&AB_C, &(action("go", &["a"], "bb", "") + &action("end", &["b"], "c", "")));
    let err = load_error(&source);
    assert_eq!(
        err,
        DefinitionError::UnknownState { at: "workflow.actions.go".into(), field: "to", state: "bb".into() }
    );
    assert_eq!(err.to_string(), "workflow.actions.go: to: unknown state `bb`");
    let source = tiny(&AB_C, &(action("go", &["a", "x"], "b", "") + &action("end", &["b"], "c", "")));
    assert_eq!(load_error(&source).to_string(), "workflow.actions.go: from: unknown state `x`");
}

#[test]
fn an_unreachable_state_is_refused() {
    let states = [("a", "normal"), ("b", "normal"), ("island", "normal"), ("c", "terminal")];
    let source = tiny(&states, &(action("go", &["a"], "b", "") + &action("end", &["b", "island"], "c", "")));
    assert_eq!(
        load_error(&source).to_string(),
        "workflow.states.island: cannot be reached from the initial state `a`"
    );
}

#[test]
fn a_terminal_state_with_an_exit_is_refused() {
    let source = tiny(
        &AB_C,
        &(action("go", &["a"], "b", "") + &action("end", &["b"], "c", "") + &action("undo", &["c"], "a", "")),
    );
    assert_eq!(
        load_error(&source),
        DefinitionError::TerminalWithExits { state: "c".into(), action: "undo".into() }
    );
}

#[test]
fn a_state_without_a_way_out_is_refused() {
    let states = [("a", "normal"), ("b", "normal"), ("trap", "normal"), ("c", "terminal")];
    let source = tiny(
        &states,
        &(action("go", &["a"], "b", "")
            + &action("end", &["b"], "c", "")
            + &action("fall", &["a"], "trap", "")),
    );
    assert_eq!(
        load_error(&source).to_string(),
        "workflow.states.trap: no path leads from it to a terminal state"
    );
}

#[test]
fn an_automatic_cycle_is_refused() {
    let loop_ = action("there", &["a"], "b", "auto = true\nguards = [\"fact_true(x)\"]")
        + &action("back", &["b"], "a", "auto = true\nguards = [\"fact_false(x)\"]")
        + &action("end", &["b"], "c", "");
    let err = load_error(&tiny(&AB_C, &loop_));
    assert_eq!(err, DefinitionError::AutoCycle { states: vec!["a".into(), "b".into(), "a".into()] });
    assert_eq!(err.to_string(), "workflow.actions: automatic actions form a cycle: a → b → a");
    // An automatic action that stays put is a cycle of one.
    let stay = action("go", &["a"], "b", "")
        + &action("spin", &["b"], "b", "auto = true")
        + &action("end", &["b"], "c", "");
    assert_eq!(
        load_error(&tiny(&AB_C, &stay)),
        DefinitionError::AutoCycle { states: vec!["b".into(), "b".into()] }
    );
    // A cycle through a manual action is fine.
    let manual = action("there", &["a"], "b", "auto = true")
        + &action("back", &["b"], "a", "")
        + &action("end", &["b"], "c", "");
    assert!(ServiceDefinition::from_toml(&tiny(&AB_C, &manual)).is_ok());
}

#[test]
fn duplicate_codes_are_refused() {
    let states = [("a", "normal"), ("b", "normal"), ("a", "terminal")];
    let go = action("go", &["a"], "b", "");
    assert_eq!(load_error(&tiny(&states, &go)).to_string(), "workflow.states: `a` appears twice");
    let twice = action("go", &["a"], "b", "") + &action("go", &["b"], "c", "");
    assert_eq!(load_error(&tiny(&AB_C, &twice)).to_string(), "workflow.actions: `go` appears twice");
    let roles = action("go", &["a"], "b", "")
        .replace("roles = [\"office_expert\"]", "roles = [\"inspector\", \"inspector\"]");
    let err = load_error(&tiny(&AB_C, &(roles + &action("end", &["b"], "c", ""))));
    assert_eq!(err.to_string(), "workflow.actions.go.roles: `inspector` appears twice");
}

#[test]
fn guards_are_checked_on_load() {
    let base = action("go", &["a"], "b", "") + &action("end", &["b"], "c", "");
    let unknown =
        base.clone() + &action("sign", &["b"], "c", "guards = [\"distinct_actor_of(aprove_first)\"]");
    assert_eq!(
        load_error(&tiny(&AB_C, &unknown)).to_string(),
        "workflow.actions.sign: guards: `distinct_actor_of(aprove_first)` names an unknown action"
    );
    let malformed = base + &action("sign", &["b"], "c", "guards = [\"fact_sure(x)\"]");
    assert!(
        load_error(&tiny(&AB_C, &malformed))
            .to_string()
            .starts_with("workflow.actions.sign: guards: `fact_sure`")
    );
}

#[test]
fn roles_must_match_the_kind_of_action() {
    let auto_with_roles = action("go", &["a"], "b", "")
        + &action("end", &["b"], "c", "auto = true")
            .replace("auto = true", "auto = true\nroles = [\"inspector\"]");
    assert_eq!(
        load_error(&tiny(&AB_C, &auto_with_roles)).to_string(),
        "workflow.actions.end: roles: an automatic action is taken by the system, so it lists no roles"
    );
    let nobody = action("go", &["a"], "b", "").replace("roles = [\"office_expert\"]\n", "")
        + &action("end", &["b"], "c", "");
    assert_eq!(
        load_error(&tiny(&AB_C, &nobody)).to_string(),
        "workflow.actions.go: roles: names no role that may take the action"
    );
}

#[test]
fn subtask_rules_are_checked_on_load() {
    let subtask = |extra: &str| {
        format!(
            "\n[[workflow.subtasks]]\ncode = \"survey\"\nname_fa = \"نقشه‌برداری\"\n\
             name_en = \"Survey\"\nstate = \"b\"\n\
             agency = {{ code = \"survey_office\", name_fa = \"اداره\", name_en = \"Office\" }}\n{extra}\n"
        )
    };
    let actions = action("go", &["a"], "b", "") + &action("end", &["b"], "c", "");
    assert_eq!(
        load_error(&tiny(&AB_C, &(actions.clone() + &subtask("")))).to_string(),
        "workflow.actions.end: guards: it leaves `b`, which opens subtasks, \
         so it needs the guard `subtasks_settled`"
    );
    let guarded =
        action("go", &["a"], "b", "") + &action("end", &["b"], "c", "guards = [\"subtasks_settled\"]");
    assert!(ServiceDefinition::from_toml(&tiny(&AB_C, &(guarded.clone() + &subtask("")))).is_ok());
    assert_eq!(
        load_error(&tiny(&AB_C, &(guarded.clone() + &subtask("optional = true")))).to_string(),
        "workflow.subtasks.survey: opens_if: \
         an optional subtask needs the fact that says when this case needs it"
    );
    let elsewhere = subtask("").replace("state = \"b\"", "state = \"z\"");
    assert_eq!(
        load_error(&tiny(&AB_C, &(guarded + &elsewhere))).to_string(),
        "workflow.subtasks.survey: state: unknown state `z`"
    );
}

#[test]
fn field_and_file_errors_name_the_key() {
    let actions = action("go", &["a"], "b", "") + &action("end", &["b"], "c", "");
    let with = |field: &str| {
        tiny(&AB_C, &actions).replace(
            "[workflow]",
            &format!(
                "[[fields]]\ncode = \"area\"\nname_fa = \"مساحت\"\nname_en = \"Area\"\n{field}\n\n[workflow]"
            ),
        )
    };
    assert_eq!(
        load_error(&with("kind = \"integer\"\nmax_length = 3")).to_string(),
        "fields.area: max_length: does not apply to a integer field"
    );
    assert_eq!(
        load_error(&with("kind = \"decimal\"\nmin = 0.5")).to_string(),
        "fields.area: min: write decimals as quoted strings (\"0.5\"), not as floating-point numbers"
    );
    assert_eq!(
        load_error(&with("kind = \"integer\"\nmin = 5\nmax = 1")).to_string(),
        "fields.area: min: is above `max`"
    );
    assert!(
        load_error(&with("kind = \"colour\""))
            .to_string()
            .starts_with("fields.area: kind: \"colour\" is not one of")
    );
    assert_eq!(
        load_error(&with("kind = \"text\"")).to_string(),
        "fields.area: max_length: a text field needs it"
    );
    let misspelt = tiny(&AB_C, &actions).replace("sla_days = 5", "sla_dayz = 5");
    let err = load_error(&misspelt);
    assert!(matches!(err, DefinitionError::Toml(_)));
    assert!(err.to_string().contains("sla_dayz"), "{err}");
    let long = tiny(&AB_C, &actions).replace("sla_days = 5", "sla_days = 400");
    assert_eq!(load_error(&long).to_string(), "service: sla_days: must be from 1 to 365 working days");
    let state_sla = tiny(&AB_C, &actions).replace("kind = \"normal\"\n", "kind = \"normal\"\nsla_days = 2\n");
    assert_eq!(
        load_error(&state_sla).to_string(),
        "workflow.states.a: escalate_to: a state with an SLA needs it"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

/// The facts a workflow's guards and subtasks look at: `(flags, numbers)`.
fn fact_names(wf: &Workflow) -> (Vec<String>, Vec<String>) {
    let mut flags = Vec::new();
    let mut numbers = Vec::new();
    for guard in wf.actions().iter().flat_map(|a| &a.guards) {
        match guard {
            Guard::FactTrue(f) | Guard::FactFalse(f) => flags.push(f.clone()),
            Guard::FactZero(f) => numbers.push(f.clone()),
            Guard::SubtasksSettled | Guard::DistinctActorOf(_) => {}
        }
    }
    flags.extend(wf.subtasks().iter().filter_map(|t| t.opens_if.clone()));
    flags.sort();
    flags.dedup();
    numbers.sort();
    numbers.dedup();
    (flags, numbers)
}

const ROLES: [&str; 9] = [
    "citizen",
    "office_intake",
    "office_expert",
    "office_manager",
    "inspector",
    "municipal_reviewer",
    "permit_approver",
    "district_supervisor",
    "agency_officer",
];

#[derive(Debug, Clone)]
enum Request {
    /// `action` indexes the actions of the current state when `here`, else all actions (and one
    /// past the end: an unknown code); `own_role` adds the action's first role to the actor's.
    Fire {
        here: bool,
        action: usize,
        actor: usize,
        roles: Vec<usize>,
        own_role: bool,
        stale: bool,
        reason: bool,
    },
    Advance,
    Settle {
        subtask: usize,
        state: SubtaskState,
    },
}

fn subtask_state() -> impl Strategy<Value = SubtaskState> {
    prop_oneof![Just(SubtaskState::Answered), Just(SubtaskState::Withdrawn), Just(SubtaskState::Pending)]
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        6 => (
            any::<bool>(),
            0..40usize,
            0..3usize,
            prop::collection::vec(0..ROLES.len(), 1..3),
            any::<bool>(),
            prop::bool::weighted(0.1),
            any::<bool>(),
        )
            .prop_map(|(here, action, actor, roles, own_role, stale, reason)| Request::Fire {
                here,
                action,
                actor,
                roles,
                own_role,
                stale,
                reason,
            }),
        1 => Just(Request::Advance),
        1 => (0..6usize, subtask_state()).prop_map(|(subtask, state)| Request::Settle { subtask, state }),
    ]
}

/// Random facts: each flag absent, true or false; each number absent, zero or positive.
fn facts_for(flags: &[String], numbers: &[String], seeds: &[u8]) -> Facts {
    let mut facts = Facts::new();
    for (i, flag) in flags.iter().enumerate() {
        match seeds.get(i).copied().unwrap_or(0) % 3 {
            0 => {}
            1 => facts = facts.with_flag(flag, true),
            _ => facts = facts.with_flag(flag, false),
        }
    }
    for (i, number) in numbers.iter().enumerate() {
        match seeds.get(flags.len() + i).copied().unwrap_or(0) % 3 {
            0 => {}
            1 => facts = facts.with_number(number, 0),
            _ => facts = facts.with_number(number, 1_000_000),
        }
    }
    facts
}

/// The facts `reads` lists, and the reason, out of `facts`.
fn narrowed_facts(facts: &Facts, flags: &[String], numbers: &[String], reads: &Reads) -> Facts {
    let mut narrow = Facts::new();
    for name in flags.iter().filter(|n| reads.needs_fact(n)) {
        if let Some(value) = facts.flag(name) {
            narrow = narrow.with_flag(name, value);
        }
    }
    for name in numbers.iter().filter(|n| reads.needs_fact(n)) {
        if let Some(value) = facts.number(name) {
            narrow = narrow.with_number(name, value);
        }
    }
    match facts.reason() {
        Some(reason) => narrow.with_reason(reason),
        None => narrow,
    }
}

/// The case as a caller reading only what `reads` lists would load it.
fn narrowed_case(case: &CaseSnapshot, reads: &Reads) -> CaseSnapshot {
    let mut narrow = case.clone();
    narrow.history.retain(|h| reads.performers_of.contains(&h.action));
    if !reads.subtasks {
        narrow.subtasks.clear();
    }
    narrow
}

fn check_outcome(wf: &Workflow, case: &CaseSnapshot, outcome: &Outcome) -> Result<(), TestCaseError> {
    prop_assert_eq!(outcome.version, case.version + outcome.steps.len() as u64);
    prop_assert!(outcome.steps.len() <= wf.states().len());
    let mut at = case.state.as_str();
    for step in &outcome.steps {
        prop_assert_eq!(step.from.as_str(), at);
        at = &step.to;
    }
    prop_assert_eq!(at, outcome.state.as_str());
    let state = wf.state(&outcome.state).expect("the engine only moves to defined states");
    prop_assert_eq!(outcome.terminal, state.is_terminal());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_request_sequences_never_panic_and_keep_the_invariants(
        service_index in 0..4usize,
        start in any::<prop::sample::Index>(),
        requests in prop::collection::vec((request(), prop::collection::vec(any::<u8>(), 40)), 1..60),
    ) {
        let catalog = catalog();
        let wf = &catalog.services()[service_index].workflow;
        let (flags, numbers) = fact_names(wf);
        // Starting anywhere reaches the late states of long workflows, which random requests
        // from the initial state seldom do before a rejection or withdrawal ends the case.
        let mut case = wf.new_case();
        case.state = start.get(wf.states()).code.clone();
        let actor_ids = ["u-1", "u-2", "u-3"];
        for (request, seeds) in requests {
            let mut facts = facts_for(&flags, &numbers, &seeds);
            let result = match request {
                Request::Fire { here, action, actor, roles, own_role, stale, reason } => {
                    let chosen = if here {
                        let choices: Vec<_> = wf.actions_from(&case.state).collect();
                        choices.get(action % choices.len().max(1)).copied()
                    } else {
                        wf.actions().get(action)
                    };
                    let code = chosen.map_or("no_such_action", |a| a.code.as_str());
                    let mut roles: Vec<&str> = roles.iter().map(|&r| ROLES[r]).collect();
                    if let Some(role) = chosen.and_then(|a| a.roles.first()).filter(|_| own_role) {
                        roles.push(role);
                    }
                    let actor = Actor::new(actor_ids[actor], &roles);
                    if reason {
                        facts = facts.with_reason("دلیل");
                    }
                    let version = if stale { case.version.wrapping_sub(1) } else { case.version };
                    let result = wf.fire(&case, code, &actor, version, &facts);
                    // Given only what `reads` lists, the engine decides the same.
                    let reads = wf.reads(&case.state, Some(code));
                    let narrow = narrowed_case(&case, &reads);
                    let narrow_facts = narrowed_facts(&facts, &flags, &numbers, &reads);
                    prop_assert_eq!(&wf.fire(&narrow, code, &actor, version, &narrow_facts), &result);
                    if stale {
                        let stale_refused = matches!(result, Err(TransitionError::StaleVersion { .. }));
                        prop_assert!(stale_refused);
                    }
                    if let Ok(outcome) = &result {
                        prop_assert!(!outcome.steps.is_empty());
                        prop_assert!(!outcome.steps[0].automatic);
                        prop_assert_eq!(&outcome.steps[0].actor_id, actor.id.as_str());
                    }
                    result
                }
                Request::Advance => {
                    let result = wf.advance(&case, case.version, &facts);
                    let reads = wf.reads(&case.state, None);
                    let narrow = narrowed_case(&case, &reads);
                    let narrow_facts = narrowed_facts(&facts, &flags, &numbers, &reads);
                    prop_assert_eq!(&wf.advance(&narrow, case.version, &narrow_facts), &result);
                    result
                }
                Request::Settle { subtask, state } => {
                    if let Some(code) = case.subtasks.get(subtask).map(|t| t.code.clone()) {
                        prop_assert!(case.settle_subtask(&code, state));
                    }
                    continue;
                }
            };
            if let Ok(outcome) = result {
                check_outcome(wf, &case, &outcome)?;
                prop_assert!(outcome.steps.iter().skip(1).all(|s| s.automatic));
                case.apply(&outcome);
                // Advancing again with the same facts finds nothing more to do.
                let again = wf.advance(&case, case.version, &facts);
                prop_assert!(again.is_ok_and(|o| o.steps.is_empty()));
            }
            let everyone = Actor::new("u-1", &ROLES);
            let reads = wf.reads_offered(&case.state);
            let offered = wf.available_actions(&case, &everyone, &facts);
            let narrow_facts = narrowed_facts(&facts, &flags, &numbers, &reads);
            prop_assert_eq!(wf.available_actions(&narrowed_case(&case, &reads), &everyone, &narrow_facts), offered);
            if wf.state(&case.state).is_some_and(|s| s.is_terminal()) {
                for roles in [&ROLES[..], &["system"]] {
                    let everyone = Actor::new("u-1", roles);
                    prop_assert!(wf.available_actions(&case, &everyone, &facts).is_empty());
                }
            }
        }
    }

    #[test]
    fn automatic_chains_terminate_on_any_loadable_workflow(
        states in 3..8usize,
        extra in prop::collection::vec((0..8usize, 0..8usize, any::<bool>(), 0..4usize), 0..14),
        seeds in prop::collection::vec(any::<u8>(), 8),
    ) {
        // A manual chain s0 → s1 → … → last (terminal) makes every state reachable and finishable;
        // the extra actions add random edges, some automatic, among the non-terminal states.
        let last = states - 1;
        let codes: Vec<String> = (0..states).map(|i| format!("s{i}")).collect();
        let kinds: Vec<(&str, &str)> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), if i == last { "terminal" } else { "normal" }))
            .collect();
        let mut body = String::new();
        for i in 0..last {
            body.push_str(&action(&format!("next{i}"), &[&codes[i]], &codes[i + 1], ""));
        }
        for (n, (from, to, auto, guard)) in extra.iter().enumerate() {
            let from = &codes[from % last];
            let to = &codes[to % states];
            let guard = match guard {
                0 => String::new(),
                g => format!("guards = [\"fact_true(f{g})\"]"),
            };
            let extra = if *auto { format!("auto = true\n{guard}") } else { guard };
            body.push_str(&action(&format!("extra{n}"), &[from], to, &extra));
        }
        let mut source = tiny(&kinds, &body);
        source = source.replace("initial = \"a\"", "initial = \"s0\"");
        match ServiceDefinition::from_toml(&source) {
            Ok(service) => {
                let wf = service.workflow;
                let flags: Vec<String> = (1..4).map(|g| format!("f{g}")).collect();
                let facts = facts_for(&flags, &[], &seeds);
                for start in &codes {
                    let mut case = wf.new_case();
                    case.state.clone_from(start);
                    let outcome = wf.advance(&case, 0, &facts).expect("advance");
                    prop_assert!(outcome.steps.len() < states);
                    let mut seen: Vec<&str> = vec![start.as_str()];
                    for step in &outcome.steps {
                        let revisited = seen.contains(&step.to.as_str());
                        prop_assert!(!revisited, "an automatic chain revisited {}", step.to);
                        seen.push(&step.to);
                    }
                    check_outcome(&wf, &case, &outcome)?;
                }
            }
            Err(DefinitionError::AutoCycle { states: cycle }) => {
                // The reported cycle is real: each hop is an automatic action.
                prop_assert!(cycle.len() >= 2 && cycle.first() == cycle.last());
                let auto_edges: Vec<(String, String)> = extra
                    .iter()
                    .filter(|e| e.2)
                    .map(|(from, to, _, _)| (codes[from % last].clone(), codes[to % states].clone()))
                    .collect();
                for hop in cycle.windows(2) {
                    prop_assert!(auto_edges.contains(&(hop[0].clone(), hop[1].clone())), "{:?}", cycle);
                }
            }
            Err(other) => prop_assert!(false, "unexpected refusal: {other}"),
        }
    }
}
