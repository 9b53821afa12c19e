//! Realistic sample documents of one building case in Karaj, for demonstrations, previews of the
//! templates, tests and benchmarks. Their numbers add up like real ones.

use daftar_types::{JalaliDate, Rials, Timestamp};

use crate::certificate::CertificateDocument;
use crate::common::{Approver, Field, Person};
use crate::invoice::{
    CashDiscount, Instalment, InstalmentPlan, InvoiceDocument, InvoiceLine, InvoiceStatus, PartyTotals,
    Waiver,
};
use crate::licence::LicenceDocument;
use crate::permit::{Level, Owner, Parcel, PermitDocument};
use crate::receipt::{ReceiptDocument, Share};

const CITY: &str = "کرج";
const VERIFY: &str = "https://daftar.karaj.ir/verify/";
/// 1405/09/12 10:30 Tehran time.
const ISSUED_AT: Timestamp = Timestamp::from_unix(1_796_281_200);

fn date(year: i32, month: u8, day: u8) -> JalaliDate {
    JalaliDate::new(year, month, day).expect("the sample dates exist")
}

fn owner() -> Person {
    Person { name: "مریم احمدی‌نژاد".to_owned(), masked_national_id: "007****645".to_owned() }
}

fn approver(name: &str, role: &str) -> Approver {
    Approver { name: name.to_owned(), role: role.to_owned() }
}

fn line(
    name: (&str, &str),
    clause: &str,
    party: &str,
    formula: &str,
    inputs: &[(&str, &str)],
) -> InvoiceLine {
    InvoiceLine {
        name_fa: name.0.to_owned(),
        name_en: name.1.to_owned(),
        clause: clause.to_owned(),
        party: party.to_owned(),
        formula: formula.to_owned(),
        inputs: inputs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        arithmetic: String::new(),
        amount: Rials::ZERO,
    }
}

fn with(mut line: InvoiceLine, arithmetic: &str, amount: i64) -> InvoiceLine {
    line.arithmetic = arithmetic.to_owned();
    line.amount = Rials::new(amount);
    line
}

fn invoice_lines() -> Vec<InvoiceLine> {
    let floor =
        ("عوارض صدور پروانه — زیربنای مسکونی، طبقهٔ اول", "Permit fee — residential floor area, level 1");
    let parking =
        ("عوارض صدور پروانه — زیربنای پارکینگ، همکف", "Permit fee — parking floor area, ground level");
    vec![
        with(
            line(
                floor,
                "ماده 3 بند 1",
                "شهرداری",
                "area × multiplier(level) × P",
                &[("area", "380"), ("multiplier(1)", "3"), ("P", "1234567")],
            ),
            "380 × 3 × 1234567 = 1407406380 → 1407406000",
            1_407_406_000,
        ),
        with(
            line(
                parking,
                "ماده 3 بند 1",
                "شهرداری",
                "area × multiplier(level) × P",
                &[("area", "400"), ("multiplier(0)", "0.5"), ("P", "1234567")],
            ),
            "400 × 0.5 × 1234567 = 246913400 → 246913000",
            246_913_000,
        ),
        with(
            line(
                ("عوارض مازاد تراکم (خرید تراکم)", "Surplus density purchased"),
                "ماده 7",
                "شهرداری",
                "purchased_area × 2.5 × P",
                &[("purchased_area", "45.5"), ("P", "1234567")],
            ),
            "45.5 × 2.5 × 1234567 = 140431996.25 → 140431000",
            140_431_000,
        ),
        with(
            line(
                ("عوارض کسری پارکینگ", "Missing parking spaces"),
                "ماده 9 تبصره 2",
                "شهرداری",
                "missing_parking × 120 × P",
                &[("missing_parking", "2"), ("P", "1234567")],
            ),
            "2 × 120 × 1234567 = 296296080 → 296296000",
            296_296_000,
        ),
        with(
            line(
                ("سهم آتش‌نشانی و خدمات ایمنی", "Fire service surcharge"),
                "ماده 15",
                "سازمان آتش‌نشانی",
                "total_area × 20000",
                &[("total_area", "825.5")],
            ),
            "825.5 × 20000 = 16510000",
            16_510_000,
        ),
        with(
            line(
                ("کارمزد خدمات دفتر", "Office service charge"),
                "تعرفهٔ دفاتر، ردیف 4",
                "دفتر خدمات الکترونیک شهر",
                "3500000",
                &[],
            ),
            "3500000",
            3_500_000,
        ),
    ]
}

/// An issued building-permit invoice with a cash discount, a waiver and an instalment plan.
pub fn invoice() -> InvoiceDocument {
    InvoiceDocument {
        city: CITY.to_owned(),
        number: "1405-000457".to_owned(),
        issued_on: date(1405, 9, 12),
        payer: owner(),
        case_number: "1405-0123".to_owned(),
        subject: "صدور پروانهٔ ساختمانی — احداث بنای مسکونی سه طبقه روی پیلوت".to_owned(),
        bylaw_version: "1405.2".to_owned(),
        lines: invoice_lines(),
        totals: PartyTotals {
            municipality: Rials::new(2_091_046_000),
            office: Rials::new(3_500_000),
            agency: Rials::new(16_510_000),
        },
        grand_total: Rials::new(2_111_056_000),
        cash_discount: Some(CashDiscount {
            name_fa: "تخفیف پرداخت نقدی".to_owned(),
            clause: "ماده 21".to_owned(),
            arithmetic: "10 × 2091046000 ÷ 100 = 209104600 → 209104000".to_owned(),
            amount: Rials::new(209_104_000),
            cash_total: Rials::new(1_901_952_000),
        }),
        waiver: Some(Waiver {
            amount: Rials::new(50_000_000),
            reason: "بخشودگی خانوادهٔ معظم شهدا طبق بند 4 ماده 12 دستورالعمل".to_owned(),
            approver: approver("حسین کریمی", "معاون مالی و اقتصادی شهرداری"),
        }),
        instalments: Some(InstalmentPlan {
            down_payment: Rials::new(618_317_000),
            instalments: (1..=3)
                .map(|n| Instalment {
                    number: n,
                    due: date(1405, 9 + n as u8, 12),
                    amount: Rials::new(480_913_000),
                })
                .collect(),
        }),
        status: InvoiceStatus::Issued,
        verify_url: format!("{VERIFY}INV-1405-000457"),
    }
}

/// The receipt of the sample invoice paid in cash.
pub fn receipt() -> ReceiptDocument {
    ReceiptDocument {
        city: CITY.to_owned(),
        code: "R-7KQ2M9XD".to_owned(),
        invoice_number: "1405-000457".to_owned(),
        paid_at: ISSUED_AT.plus_seconds(2 * 86_400 + 3_600),
        payer: owner(),
        gateway: "درگاه پرداخت الکترونیک شاپرک — بانک ملی".to_owned(),
        gateway_reference: "140509141130482211".to_owned(),
        amount: Rials::new(1_901_952_000),
        shares: vec![
            Share { party: "شهرداری کرج".to_owned(), amount: Rials::new(1_881_942_000) },
            Share {
                party: "دفتر خدمات الکترونیک شهر ۱۲".to_owned(), amount: Rials::new(3_500_000)
            },
            Share { party: "سازمان آتش‌نشانی".to_owned(), amount: Rials::new(16_510_000) },
        ],
        verify_url: format!("{VERIFY}RCP-7KQ2M9XD"),
    }
}

/// The building permit of the sample case.
pub fn permit() -> PermitDocument {
    let level =
        |level, usage: &str, area: &str| Level { level, usage: usage.to_owned(), area: area.to_owned() };
    PermitDocument {
        city: CITY.to_owned(),
        number: "1405-000123".to_owned(),
        code: "P-K7Q2M9XD".to_owned(),
        issued_at: ISSUED_AT.plus_seconds(5 * 86_400),
        case_number: "1405-0123".to_owned(),
        owners: vec![
            Owner { person: owner(), share: "4 دانگ".to_owned() },
            Owner {
                person: Person {
                    name: "علیرضا احمدی‌نژاد".to_owned(),
                    masked_national_id: "045****213".to_owned(),
                },
                share: "2 دانگ".to_owned(),
            },
        ],
        parcel: Parcel {
            key: "3-12-145-27-0-0-0".to_owned(),
            registry_plate: "1234/56".to_owned(),
            address: "کرج، عظیمیه، بلوار مطهری، کوچهٔ نسترن 4، پلاک 18".to_owned(),
            district: "منطقهٔ 3".to_owned(),
        },
        zone: "R122 — مسکونی با تراکم متوسط".to_owned(),
        levels: vec![
            level(-1, "پارکینگ و انباری", "410.5"),
            level(0, "پیلوت و لابی", "320"),
            level(1, "مسکونی", "380"),
            level(2, "مسکونی", "380"),
            level(3, "مسکونی", "380"),
        ],
        total_area: "1870.5".to_owned(),
        completion_deadline: date(1408, 9, 17),
        conditions: vec![
            "رعایت کامل مبحث 12 مقررات ملی ساختمان (ایمنی و حفاظت کار در حین اجرا) الزامی است.".to_owned(),
            "نصب تابلوی مشخصات پروژه در محل کارگاه پیش از شروع عملیات اجرایی.".to_owned(),
            "هرگونه تغییر در نقشه‌های مصوب بدون اخذ مجوز از شهرداری تخلف محسوب می‌شود.".to_owned(),
            "عقب‌نشینی 2.4 متر در بَر بلوار مطهری طبق طرح تفصیلی رعایت شود.".to_owned(),
        ],
        approvers: [
            approver("مهندس فرهاد رستمی", "معاون شهرسازی و معماری"),
            approver("زهرا موسوی", "مدیر شهرسازی منطقهٔ ۳"),
        ],
        verify_url: format!("{VERIFY}P-K7Q2M9XD"),
    }
}

/// The licence of the office that handled the sample case.
pub fn licence() -> LicenceDocument {
    LicenceDocument {
        city: CITY.to_owned(),
        number: "DL-1405-0012".to_owned(),
        code: "L-3HV8W2QP".to_owned(),
        issued_at: ISSUED_AT,
        office_code: "12".to_owned(),
        holder: Person { name: "رضا صالحی".to_owned(), masked_national_id: "001****872".to_owned() },
        location: "کرج، گوهردشت، بلوار موذن، نبش خیابان 12، طبقهٔ همکف".to_owned(),
        valid_from: date(1405, 9, 12),
        valid_until: date(1408, 9, 11),
        signatory: approver("محمد جعفری", "شهردار کرج"),
        verify_url: format!("{VERIFY}L-3HV8W2QP"),
    }
}

/// The completion certificate of the sample building.
pub fn certificate() -> CertificateDocument {
    let field = |label: &str, value: &str| Field { label: label.to_owned(), value: value.to_owned() };
    CertificateDocument {
        city: CITY.to_owned(),
        kind: "completion_certificate".to_owned(),
        title_fa: "گواهی پایان کار ساختمان".to_owned(),
        title_en: "Building completion certificate".to_owned(),
        number: "1408-000077".to_owned(),
        code: "C-9TZ4B6NR".to_owned(),
        issued_at: ISSUED_AT.plus_seconds(3 * 365 * 86_400),
        holder: owner(),
        fields: vec![
            field("شمارهٔ پروانهٔ ساختمانی", "1405-000123"),
            field("کد نوسازی ملک", "3-12-145-27-0-0-0"),
            field("پلاک ثبتی", "1234/56"),
            field("زیربنای اجراشده", "1870.5 مترمربع"),
            field("تعداد طبقات", "3 طبقه روی پیلوت و 1 زیرزمین"),
            field("تعداد واحدها", "6 واحد مسکونی"),
            field("گواهی ناظر", "مهندس سارا نیک‌نام، شمارهٔ عضویت 1-27-04567"),
        ],
        valid_until: None,
        signatory: approver("مهندس فرهاد رستمی", "معاون شهرسازی و معماری"),
        verify_url: format!("{VERIFY}C-9TZ4B6NR"),
    }
}
