//! Entry point for the fuzz target over segment lines and chain heads (in `fuzz/`), also used by
//! the control plane's target and the corpus replay.

use crate::{Chain, ChainCheck, digest, head_of};

/// Reads `data` as a segment file: every complete line's chain head, a chain check over them, and
/// for each readable head the chain resumed after it (the writer's restart path) must continue
/// with the next position and the line's hash.
pub fn segment_lines(data: &[u8]) {
    let mut check = ChainCheck::new("llamadas", "n1", None, true);
    for line in data.split_inclusive(|b| *b == b'\n').filter(|l| l.ends_with(b"\n")) {
        let body = line.get(..line.len() - 1).unwrap_or_default();
        let Some((seq, _)) = head_of(body) else { continue };
        let _ = check.push(seq, body, None);
        let mut next = Chain::after(seq, body);
        let mut buf = Vec::new();
        if let Ok((n, _)) = next.append_json(&mut buf, &serde_json::json!({"x": 1})) {
            assert_eq!(n, seq.saturating_add(1));
            let (n2, prev) = head_of(buf.strip_suffix(b"\n").unwrap_or(&buf)).unwrap_or_else(|| panic!("unreadable head"));
            assert_eq!((n2, prev), (n, digest(body)));
        }
    }
    let _ = check.finish();
}
