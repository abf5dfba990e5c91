//! Evidence check benchmark: time and peak heap of `workbook::check` on the workbooks the
//! certification receives, natively (`cargo bench -p avisos-evidence --bench evidence`).
//!
//! Prints a Markdown table: median and best time over N runs, the peak of live heap bytes
//! during one run above what was live before it (a counting global allocator), and the number
//! of allocations. The 5 MB workbook is the sample padded with an incompressible picture on
//! tab 3 to exactly `MAX_WORKBOOK_BYTES`: the heaviest upload the service accepts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use avisos_evidence::sample::{SampleOptions, ZipVariant, workbook_xlsx};
use avisos_evidence::workbook::{MAX_WORKBOOK_BYTES, check};
use avisos_evidence::{TestSetId, generate, grade};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

struct Row {
    label: String,
    bytes: usize,
    median: Duration,
    best: Duration,
    peak: usize,
    allocations: usize,
    outcome: String,
}

fn measure(label: &str, runs: usize, bytes: usize, mut f: impl FnMut() -> String) -> Row {
    // One counted run for memory, then timed runs.
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let outcome = f();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    Row {
        label: label.to_string(),
        bytes,
        median: times[times.len() / 2],
        best: times[0],
        peak,
        allocations,
        outcome,
    }
}

fn mib(n: usize) -> String {
    format!("{:.2} MiB", n as f64 / (1024.0 * 1024.0))
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// The valid sample's four tabs with tab 2 filled up with rows of random hex text (not case
/// rows, so skipped, but every cell is parsed and held): the most work per byte calamine does.
fn cell_heavy(set: &avisos_evidence::TestSet, target: usize) -> Vec<u8> {
    use avisos_evidence::sample::{avisos_zip, cfdi_xml, screenshot_png};
    use base64::Engine;
    use rust_xlsxwriter::{Image, Workbook};
    let build = |filler_rows: u32| -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("1 Avisos JSON").expect("name");
        let zip = avisos_zip(set, &SampleOptions::default());
        let text = base64::engine::general_purpose::STANDARD.encode(zip);
        ws.write_string(1, 0, text).expect("write");
        let ws = wb.add_worksheet().set_name("2 Resultados").expect("name");
        let mut row = 1;
        for (caso, (_, amount)) in set.casos.iter().zip(set.expected()) {
            ws.write_string(row, 0, &caso.id).expect("write");
            ws.write_string(row, 1, caso.tipo.as_str()).expect("write");
            ws.write_number(row, 2, amount as f64 / 100.0)
                .expect("write");
            ws.write_string(row, 3, "paso").expect("write");
            row += 1;
        }
        let mut state = 0x1234_5678_9abc_def0_u64;
        for r in 0..filler_rows {
            for c in 0..8u16 {
                let text: String = (0..4)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        format!("{:016x}", state)
                    })
                    .collect();
                ws.write_string(row + r, c, text).expect("write");
            }
        }
        let ws = wb.add_worksheet().set_name("3 Pantallas").expect("name");
        let png = screenshot_png(1, 0);
        ws.insert_image(1, 1, &Image::new_from_buffer(&png).expect("png"))
            .expect("image");
        let ws = wb.add_worksheet().set_name("4 CFDI").expect("name");
        ws.write_string(0, 0, cfdi_xml(set, false)).expect("write");
        wb.save_to_buffer().expect("xlsx")
    };
    // Size the filler from a probe, then once more to land just under the target.
    let probe = build(1000);
    let per_row = (probe.len() - build(0).len()) as f64 / 1000.0;
    let mut rows = (target as f64 / per_row) as u32;
    let mut bytes = build(rows);
    while bytes.len() > target {
        rows -= ((bytes.len() - target) as f64 / per_row).ceil() as u32 + 10;
        bytes = build(rows);
    }
    bytes
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = |n: usize| if quick { 1 } else { n };
    let set = generate(&TestSetId {
        semilla: 20_261_123,
        folio: "0501423523".to_string(),
        ronda: 1,
        fecha: "2026-11-23".parse().expect("date"),
    });
    let outcome = |r: Result<avisos_evidence::Evidence, avisos_evidence::Rejection>| match r {
        Ok(e) => format!("aceptado ({} casos)", e.resultados.len()),
        Err(r) => r.codes().join(", "),
    };

    let small = workbook_xlsx(&set, &SampleOptions::default());
    let xls: &[u8] = include_bytes!("../testdata/evidencias.xls");
    let big = workbook_xlsx(
        &set,
        &SampleOptions {
            pad_to_bytes: Some(MAX_WORKBOOK_BYTES),
            ..SampleOptions::default()
        },
    );
    assert_eq!(big.len(), MAX_WORKBOOK_BYTES);
    let cells = cell_heavy(&set, MAX_WORKBOOK_BYTES);
    let over = vec![0u8; MAX_WORKBOOK_BYTES + 1];
    let bomb = workbook_xlsx(
        &set,
        &SampleOptions {
            zip: ZipVariant::Bomb,
            ..SampleOptions::default()
        },
    );

    let mut rows = vec![
        measure("check: sample .xlsx", runs(50), small.len(), || {
            outcome(check(&small, "evidencias.xlsx", &set))
        }),
        measure("check: fixture .xls (BIFF8)", runs(50), xls.len(), || {
            outcome(check(xls, "evidencias.xls", &set))
        }),
        measure(
            "check: 5 MB .xlsx (largest accepted)",
            runs(15),
            big.len(),
            || outcome(check(&big, "evidencias.xlsx", &set)),
        ),
        measure(
            "check: 5 MB .xlsx of text cells (worst case)",
            runs(5),
            cells.len(),
            || outcome(check(&cells, "evidencias.xlsx", &set)),
        ),
        measure(
            "check: 5 MB + 1 byte (refused first)",
            runs(50),
            over.len(),
            || outcome(check(&over, "evidencias.xlsx", &set)),
        ),
        measure(
            "check: zip bomb in tab 1 (20 MiB declared)",
            runs(50),
            bomb.len(),
            || outcome(check(&bomb, "evidencias.xlsx", &set)),
        ),
    ];
    let evidence = check(&small, "evidencias.xlsx", &set).expect("valid sample");
    rows.push(measure("grade (14 cases)", runs(200), 0, || {
        format!("{} correctos", grade(&set, &evidence).correctos)
    }));
    rows.push(measure("generate + package_zip", runs(50), 0, || {
        format!("{} bytes", generate(&set.id).package_zip().len())
    }));

    print_table(rows);
}

/// The rows as the Markdown table of BENCHMARKS.md.
fn print_table(rows: Vec<Row>) {
    println!("| operation | input | median ms | best ms | peak heap | allocations | outcome |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for r in rows {
        let input = if r.bytes == 0 {
            "-".to_string()
        } else {
            mib(r.bytes)
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.label,
            input,
            ms(r.median),
            ms(r.best),
            mib(r.peak),
            r.allocations,
            r.outcome
        );
    }
}
