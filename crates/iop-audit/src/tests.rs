use super::*;
use crate::verify::Fault;

fn signer() -> Signer {
    let rng = ring::rand::SystemRandom::new();
    let doc = Ed25519KeyPair::generate_pkcs8(&rng).unwrap_or_else(|e| panic!("{e}"));
    Signer::from_pkcs8(doc.as_ref()).unwrap_or_else(|| panic!("clave"))
}

/// (position, body, stored hash) as a store keeps them.
type Rows = Vec<(u64, String, Hash)>;

fn chain(n: u64) -> Rows {
    let mut c = Chain::default();
    (0..n)
        .map(|i| {
            let mut buf = Vec::new();
            let (seq, h) = c
                .append_json(&mut buf, &serde_json::json!({"ts_ms": i, "status": 200, "x": format!("r{i}")}))
                .unwrap_or_else(|e| panic!("{e}"));
            buf.pop();
            (seq, String::from_utf8(buf).unwrap_or_default(), h)
        })
        .collect()
}

fn check(rows: &Rows, cps: &[CheckpointBody]) -> Result<ChainSummary, Problem> {
    let mut c = ChainCheck::new("llamadas", "n1", None, true);
    for cp in cps {
        c.checkpoint(cp);
    }
    for (seq, body, h) in rows {
        c.push(*seq, body.as_bytes(), Some(h))?;
    }
    c.finish()
}

fn fault_at(r: Result<ChainSummary, Problem>) -> (Fault, u64) {
    match r {
        Err(p) => (p.fault, p.seq),
        Ok(s) => panic!("se esperaba un problema; la cadena verificó: {s:?}"),
    }
}

fn rehash(rows: &mut Rows, i: usize) {
    rows[i].2 = digest(rows[i].1.as_bytes());
}

#[test]
fn records_start_with_seq_and_prev_and_link() {
    let rows = chain(3);
    assert!(rows[0].1.starts_with(&format!("{{\"seq\":1,\"prev\":\"{}\",", to_hex(&GENESIS))));
    assert!(rows[1].1.contains(&to_hex(&rows[0].2)));
    let s = check(&rows, &[]).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!((s.first, s.last, s.count, s.head), (1, 3, 3, rows[2].2));
    let mut buf = Vec::new();
    let mut c = Chain::default();
    assert!(c.append_json(&mut buf, &serde_json::json!([1])).is_err());
    assert!(buf.is_empty());
    c.append_json(&mut buf, &serde_json::json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert!(serde_json::from_slice::<serde_json::Value>(&buf).is_ok());
}

#[test]
fn edits_deletions_insertions_and_swaps_name_the_first_bad_record() {
    let rows = chain(10);
    // Edited content, stored hash left alone.
    let mut r = rows.clone();
    r[4].1 = r[4].1.replace("\"status\":200", "\"status\":201");
    assert_eq!(fault_at(check(&r, &[])), (Fault::Altered, 5));
    // Edited content and its stored hash: the next record's link gives it away.
    rehash(&mut r, 4);
    assert_eq!(fault_at(check(&r, &[])), (Fault::Altered, 5));
    // A row deleted, positions left.
    let mut r = rows.clone();
    r.remove(6);
    assert_eq!(fault_at(check(&r, &[])), (Fault::Removed, 7));
    // A row deleted and the later positions renumbered.
    let mut r = rows.clone();
    r.remove(6);
    for row in r.iter_mut().skip(6) {
        row.0 -= 1;
    }
    assert_eq!(fault_at(check(&r, &[])), (Fault::Removed, 7));
    // The last row deleted: only a checkpoint can tell.
    let mut r = rows.clone();
    r.pop();
    assert!(check(&r, &[]).is_ok());
    let cp = CheckpointBody {
        cadena: "llamadas".into(),
        nodo: "n1".into(),
        seq: 10,
        cabeza: to_hex(&rows[9].2),
        ts_ms: 0,
        tipo: "periodico".into(),
        clave: String::new(),
    };
    assert_eq!(fault_at(check(&r, std::slice::from_ref(&cp))), (Fault::Truncated, 10));
    // A forged row inserted at 4 (correct link and hash), later rows renumbered.
    let mut r = rows.clone();
    for row in r.iter_mut().skip(3) {
        row.0 += 1;
    }
    let forged = format!("{{\"seq\":4,\"prev\":\"{}\",\"status\":200}}", to_hex(&rows[2].2));
    r.insert(3, (4, forged.clone(), digest(forged.as_bytes())));
    assert_eq!(fault_at(check(&r, &[])), (Fault::Inserted, 4));
    // ... and with the later rows rewritten to claim their new positions (hashes recomputed).
    let mut r2 = r.clone();
    for i in 4..r2.len() {
        let old = format!("\"seq\":{}", r2[i].0 - 1);
        r2[i].1 = r2[i].1.replacen(&old, &format!("\"seq\":{}", r2[i].0), 1);
        rehash(&mut r2, i);
    }
    assert_eq!(fault_at(check(&r2, &[])), (Fault::Inserted, 4));
    // Two rows swapped.
    let mut r = rows.clone();
    r.swap(2, 3);
    r[2].0 = 3;
    r[3].0 = 4;
    assert_eq!(fault_at(check(&r, &[])), (Fault::Reordered, 3));
    // Garbage.
    let mut r = rows.clone();
    r[0].1 = "no es json".into();
    rehash(&mut r, 0);
    assert_eq!(fault_at(check(&r, &[])), (Fault::Unreadable, 1));
    // A whole rewrite from 6 on (hashes and links recomputed) disagrees with a checkpoint.
    let mut r = rows.clone();
    let mut c = Chain::after(5, r[4].1.as_bytes());
    for row in r.iter_mut().skip(5) {
        let mut buf = Vec::new();
        c.append_json(&mut buf, &serde_json::json!({"forjado": true}))
            .unwrap_or_else(|e| panic!("{e}"));
        buf.pop();
        row.1 = String::from_utf8(buf).unwrap_or_default();
        row.2 = digest(row.1.as_bytes());
    }
    assert!(check(&r, &[]).is_ok());
    let cp8 = CheckpointBody {
        seq: 8,
        cabeza: to_hex(&rows[7].2),
        ..cp
    };
    assert_eq!(fault_at(check(&r, &[cp8])), (Fault::CheckpointMismatch, 8));
}

#[test]
fn checkpoints_verify_only_with_their_key() {
    let s = signer();
    let other = signer();
    let cp = s.checkpoint(CheckpointBody {
        cadena: "procedimiento".into(),
        nodo: "n1".into(),
        seq: 3,
        cabeza: to_hex(&[7u8; 32]),
        ts_ms: 1,
        tipo: "periodico".into(),
        clave: String::new(),
    });
    let body = cp.open(&s.public()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body.clave, s.public().id());
    assert!(cp.open(&other.public()).is_err());
    let mut forged = cp.clone();
    forged.cuerpo = forged.cuerpo.replace("\"seq\":3", "\"seq\":4");
    assert!(forged.open(&s.public()).is_err());
    assert_eq!(PublicKey::parse(&s.public().to_string()), Some(s.public()));
    assert_eq!(PublicKey::parse("ed25519:zz"), None);
}

fn export(s: &Signer, rows: &Rows) -> Vec<u8> {
    let mut w = export::Writer::new(Vec::new(), &s.public(), 0, 10, 11).unwrap_or_else(|e| panic!("{e}"));
    let last = rows.last().map(|r| (r.0, r.2)).unwrap_or((0, GENESIS));
    w.checkpoint(&s.checkpoint(CheckpointBody {
        cadena: "llamadas".into(),
        nodo: "n1".into(),
        seq: last.0,
        cabeza: to_hex(&last.1),
        ts_ms: 1,
        tipo: "periodico".into(),
        clave: String::new(),
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    for (seq, body, _) in rows {
        w.record("llamadas", "n1", *seq, body).unwrap_or_else(|e| panic!("{e}"));
    }
    w.finish(s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_export_verifies_with_the_public_key_and_fails_after_any_byte_changes() {
    let s = signer();
    let rows = chain(4);
    let bytes = export(&s, &rows);
    let rep = export::verify(&bytes[..], &s.public()).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!((rep.records, rep.checkpoints, rep.chains.len()), (4, 1, 1));
    // Every single byte, flipped: refused, and never a panic.
    for i in 0..bytes.len() {
        for delta in [1u8, 0x80] {
            let mut b = bytes.clone();
            b[i] ^= delta;
            assert!(
                export::verify(&b[..], &s.public()).is_err(),
                "byte {i} cambiado y la exportación verificó"
            );
        }
    }
    // Truncated anywhere.
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(export::verify(&bytes[..cut], &s.public()).is_err());
    }
    let p = export::verify(&bytes[..bytes.len() - 1], &s.public()).err().map(|p| p.fault);
    assert_eq!(p, Some(Fault::Truncated));
    // Whole lines dropped before the manifest.
    let text = String::from_utf8(bytes.clone()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let without_last_record: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != lines.len() - 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert!(export::verify(without_last_record.as_bytes(), &s.public()).is_err());
    // Another platform's key.
    let p = export::verify(&bytes[..], &signer().public()).err().map(|p| p.fault);
    assert_eq!(p, Some(Fault::BadSignature));
    // Not an export at all.
    for junk in [&b""[..], b"\n", b"{}\n", b"hola\n", &[0xff, 0xfe, b'\n']] {
        assert!(export::verify(junk, &s.public()).is_err());
    }
}
