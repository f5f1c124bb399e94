//! `packed::unpack` on arbitrary text and index bytes: an error or a chain,
//! never a panic, and never an allocation the input cannot pay for.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input into the text and the index.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(rest.len());
    let (text, index) = rest.split_at(split);
    let text = String::from_utf8_lossy(text);
    if let Ok(unpacked) = revchain_internals::packed::unpack(&text, index) {
        let sql: usize = unpacked
            .revisions
            .iter()
            .map(|r| r.up_sql.len() + r.down_sql.map_or(0, str::len))
            .sum();
        assert_eq!(sql, text.len(), "an unpacked chain covers the whole text");
    }
});
