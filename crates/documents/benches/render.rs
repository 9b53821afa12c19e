//! Time to render each sample document, from data to PDF bytes. Every sample is one page, so the
//! times are per page.

use criterion::{Criterion, criterion_group, criterion_main};
use daftar_documents::{Seal, render_certificate, render_invoice, render_permit, render_receipt, samples};
use ed25519_dalek::SigningKey;

fn bench_render(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let invoice = samples::invoice();
    let receipt = samples::receipt();
    let permit = samples::permit();
    let permit_seal = Seal::sign(permit.signed_payload(), &key);
    let certificate = samples::certificate();
    let certificate_seal = Seal::sign(certificate.signed_payload(), &key);

    let mut group = c.benchmark_group("render");
    group.sample_size(30);
    group.bench_function("invoice", |b| b.iter(|| render_invoice(&invoice)));
    group.bench_function("receipt", |b| b.iter(|| render_receipt(&receipt)));
    group.bench_function("permit", |b| b.iter(|| render_permit(&permit, &permit_seal)));
    group.bench_function("certificate", |b| b.iter(|| render_certificate(&certificate, &certificate_seal)));
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
