//! JSONTestSuite (Nicolas Seriot): every `y_` file accepted with serde_json's value, every `n_` file rejected at
//! the same offset however it is chunked, every `i_` file handled without panic and chunking-independently.

mod common;

use std::path::{Path, PathBuf};

use common::{check_chunkings, decimal, norm_ours, norm_serde, run, whole, Thoroughness};
use midstream_core::{ErrorKind, Options};

fn suite_dir() -> PathBuf {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/JSONTestSuite/test_parsing");
    assert!(
        dir.is_dir(),
        "JSONTestSuite not found at {} (it is carried in the repository: tests/data/JSONTestSuite)",
        dir.display()
    );
    dir
}

fn files(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(suite_dir())
        .expect("read the suite directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(prefix) && name.ends_with(".json")
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("read a test file"))
        })
        .collect();
    out.sort();
    out
}

/// Whole, byte by byte, and six random chunkings; the state after every byte compared across them. Partial
/// values are not compared between snapshots because a few documents repeat keys (a repeated key replaces the
/// earlier value, which is no refinement).
fn how(name: &str) -> Thoroughness {
    let seed = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Thoroughness {
        every_cut: false,
        every_pair: false,
        random: 6,
        seed,
        partials: false,
    }
}

#[test]
fn y_files_are_accepted_with_serde_jsons_value() {
    let files = files("y_");
    assert!(files.len() >= 90, "only {} y_ files found", files.len());
    let mut serde_refused = Vec::new();
    for (name, bytes) in &files {
        let outcome = check_chunkings(bytes, &Options::default(), how(name));
        assert_eq!(outcome.result, Ok(()), "{name} rejected");
        let ours = outcome.value.as_ref().expect("a value");
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(theirs) => assert_eq!(
                norm_ours(ours),
                norm_serde(&theirs),
                "{name}: value differs from serde_json"
            ),
            Err(error) => serde_refused.push(format!("{name}: {error}")),
        }
        // Every y_ document except those repeating a key also satisfies the partial-value contract.
        if !name.contains("duplicated_key") {
            run(
                bytes,
                &common::byte_by_byte(bytes.len()),
                &Options::default(),
                true,
            );
        }
    }
    assert!(
        serde_refused.is_empty(),
        "serde_json refuses y_ files: {serde_refused:#?}"
    );
}

#[test]
fn n_files_are_rejected_at_a_chunking_independent_offset() {
    let files = files("n_");
    assert!(files.len() >= 180, "only {} n_ files found", files.len());
    let mut incomplete = 0;
    for (name, bytes) in &files {
        let outcome = check_chunkings(bytes, &Options::default(), how(name));
        let error = outcome
            .error()
            .unwrap_or_else(|| panic!("{name} accepted: {:?}", outcome.value))
            .clone();
        assert!(
            serde_json::from_slice::<serde_json::Value>(bytes).is_err(),
            "{name}: serde_json accepts it"
        );
        if error.is_incomplete() {
            incomplete += 1;
            continue;
        }
        // The offset is the first byte at which the input stops being a JSON prefix: everything before it is
        // accepted (as a complete document or an incomplete one), and that byte is refused.
        let offset = error.offset as usize;
        let before = run(&bytes[..offset], &whole(), &Options::default(), false);
        assert!(
            before
                .result
                .as_ref()
                .map_or_else(|e| e.is_incomplete(), |()| true),
            "{name}: the {offset} bytes before the error are not a JSON prefix: {:?}",
            before.result
        );
        let through = run(&bytes[..=offset], &whole(), &Options::default(), false);
        assert_eq!(
            through.result,
            Err(error.clone()),
            "{name}: the error byte alone does not fail"
        );
    }
    assert!(
        incomplete > 10 && incomplete < files.len() / 2,
        "{incomplete} n_ files were merely incomplete"
    );
}

#[test]
fn depth_limit_files() {
    let dir = suite_dir();
    let bytes = std::fs::read(dir.join("n_structure_100000_opening_arrays.json")).unwrap();
    let error = run(&bytes, &whole(), &Options::default(), false)
        .result
        .unwrap_err();
    assert_eq!(
        (error.kind, error.offset),
        (ErrorKind::DepthLimit { limit: 512 }, 512)
    );
    let bytes = std::fs::read(dir.join("i_structure_500_nested_arrays.json")).unwrap();
    assert_eq!(
        run(&bytes, &whole(), &Options::default(), false).result,
        Ok(())
    );
    let error = run(&bytes, &whole(), &Options::default().max_depth(499), false)
        .result
        .unwrap_err();
    assert_eq!(
        (error.kind, error.offset),
        (ErrorKind::DepthLimit { limit: 499 }, 499)
    );
}

#[test]
fn i_files_do_not_panic_and_do_not_depend_on_chunking() {
    let files = files("i_");
    assert!(files.len() >= 30, "only {} i_ files found", files.len());
    let mut report = Vec::new();
    for (name, bytes) in &files {
        let outcome = check_chunkings(bytes, &Options::default(), how(name));
        let serde = serde_json::from_slice::<serde_json::Value>(bytes);
        match (&outcome.result, &serde) {
            (Ok(()), Ok(theirs)) => {
                let ours = outcome.value.as_ref().unwrap();
                assert_eq!(
                    norm_ours(ours),
                    norm_serde(theirs),
                    "{name}: both accept it but disagree"
                );
            }
            // We accept lone surrogates (JSON's grammar allows them); serde_json does not.
            (Ok(()), Err(_)) if outcome.lone_surrogates > 0 => {}
            // serde_json's depth limit is 128, ours 512.
            (Ok(()), Err(e)) if name.contains("nested") => {
                assert!(e.to_string().contains("recursion limit"))
            }
            (Ok(()), Err(e)) => panic!("{name}: we accept, serde_json refuses: {e}"),
            (Err(_), Ok(_)) => panic!("{name}: we refuse, serde_json accepts"),
            (Err(_), Err(_)) => {}
        }
        let verdict = match &outcome.result {
            Ok(()) => "accepted".to_owned(),
            Err(e) => format!("rejected: {e}"),
        };
        report.push(format!("{name}: {verdict}"));
    }
    println!("{}", report.join("\n"));
}

#[test]
fn decimals_compare_exactly() {
    assert_eq!(decimal("1E22"), decimal("1e+22"));
    assert_eq!(decimal("100"), decimal("1e2"));
    assert_eq!(decimal("0.0012"), decimal("12e-4"));
    assert_eq!(decimal("0"), decimal("0.000e5"));
    assert_ne!(decimal("-0"), decimal("0"));
    assert_ne!(
        decimal("123456789012345678901"),
        decimal("123456789012345678902")
    );
    assert_ne!(decimal("1.5"), decimal("15"));
    assert_ne!(decimal("1e999999999999999999999"), decimal("1"));
}
