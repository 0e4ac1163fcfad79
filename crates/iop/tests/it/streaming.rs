//! Large bodies through the real binary: a 200 MB answer and a 200 MB request body are streamed
//! with bounded memory, a client that stops reading holds up no other call, a client that stops
//! sending its body is refused (408), and every call has its records (a streamed answer: the
//! record before its head, and its completion record).

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use serde_json::{Value, json};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cli::{get_json, login, start, wait_ok};

const BIG: u64 = 200 << 20;
const CHUNK: usize = 64 << 10;
/// Above the gateway's maximum answer in this test (`IOP_MAX_RESPUESTA_BYTES`, 250 MiB).
const TOO_BIG: u64 = 300 << 20;

/// `left` bytes in pieces of 64 KiB, of unknown length (chunked on the wire).
struct Generated {
    left: u64,
    piece: Bytes,
    /// Declares its length (`Content-Length`) instead of being chunked.
    declared: bool,
}

impl Body for Generated {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(self.piece.len() as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(self.piece.slice(..n)))))
    }

    fn size_hint(&self) -> SizeHint {
        if self.declared {
            SizeHint::with_exact(self.left)
        } else {
            SizeHint::new()
        }
    }
}

type Reply = hyper::Response<http_body_util::Either<Generated, http_body_util::Full<Bytes>>>;

fn json_reply(v: &Value) -> Reply {
    hyper::Response::new(http_body_util::Either::Right(http_body_util::Full::new(Bytes::from(v.to_string()))))
}

/// An upstream on its own runtime thread: `GET …/personas/grande` answers 200 MB; `POST
/// …/contrastacion` reads the whole body and answers how many bytes came; anything else is small.
fn big_upstream() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async move {
            let _ = l.set_nonblocking(true);
            let l = tokio::net::TcpListener::from_std(l).unwrap_or_else(|e| panic!("{e}"));
            loop {
                let Ok((s, _)) = l.accept().await else { break };
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                        let path = req.uri().path().to_owned();
                        let generated = |left, declared| {
                            hyper::Response::new(http_body_util::Either::Left(Generated {
                                left,
                                piece: Bytes::from(vec![b'a'; CHUNK]),
                                declared,
                            }))
                        };
                        let reply: Reply = if path.ends_with("/personas/grande") {
                            generated(BIG, false)
                        } else if path.ends_with("/personas/enorme") {
                            generated(TOO_BIG, false)
                        } else if path.ends_with("/personas/declarada") {
                            generated(TOO_BIG, true)
                        } else if path.ends_with("/contrastacion") {
                            let mut body = req.into_body();
                            let mut n = 0u64;
                            while let Some(Ok(f)) = body.frame().await {
                                n += f.data_ref().map_or(0, |d| d.len() as u64);
                            }
                            json_reply(&json!({"bytes": n, "origen": "grande"}))
                        } else {
                            json_reply(&json!({"ci": "1", "origen": "grande"}))
                        };
                        Ok::<_, std::convert::Infallible>(reply)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(s), svc)
                        .await;
                });
            }
        });
    });
    addr
}

/// The process's peak resident memory (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Sends a request head on a raw connection; the body, if any, follows from the caller.
async fn raw(gateway: &str, head: &str) -> tokio::net::TcpStream {
    let addr = gateway.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    s.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    s
}

/// Every record of the node's segments.
fn records_all(dir: &std::path::Path) -> Vec<Value> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("llamadas")).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        out.extend(text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()));
    }
    out
}

/// Every record of the node's segments with this request id.
fn records_of(dir: &std::path::Path, request_id: &str) -> Vec<Value> {
    records_all(dir).into_iter().filter(|v| v["request_id"] == request_id).collect()
}

/// Waits (generously) until the call has `n` records.
async fn wait_records(dir: &std::path::Path, request_id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = records_of(dir, request_id);
        if r.len() >= n {
            return r;
        }
        assert!(Instant::now() < deadline, "{request_id}: {} records of {n}: {r:?}", r.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn request_id_of(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("x-request-id"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no x-request-id in {head}"))
}

/// Reads a response head (up to the blank line) and returns it with whatever body bytes came along.
async fn read_head(s: &mut tokio::net::TcpStream) -> (String, usize) {
    let mut buf = Vec::new();
    let mut piece = [0u8; 8192];
    loop {
        let n = s.read(&mut piece).await.unwrap_or(0);
        assert!(n > 0, "connection closed before the head: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(piece.get(..n).unwrap_or_default());
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return (
                String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned(),
                buf.len() - end - 4,
            );
        }
    }
}

#[tokio::test]
async fn large_bodies_stream_through_with_bounded_memory_and_every_call_recorded() {
    let upstream = big_upstream();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let s = start(
        dir.path(),
        &["--demo"],
        &[
            ("IOP_MAX_RESPUESTA_BYTES", "262144000"),
            ("IOP_PASARELA_CLIENTE_SIN_LEER_S", "2"),
            ("IOP_PASARELA_CUERPO_SIN_ENVIAR_S", "2"),
        ],
    );
    let key = s.demo_key();
    let client = reqwest::Client::new();
    wait_ok(&client, &format!("{}/healthz", s.gateway)).await;

    // The Líder de ADAS points the demo service at the upstream above, allowing 300 MB bodies.
    let token = login(&client, &s.control, "lider", "demo-iop-2026").await;
    let services = get_json(&client, &format!("{}/api/v1/servicios?limite=200", s.control), &token).await;
    let service = services["resultados"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["codigo"] == "persona"))
        .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no demo service: {services}"));
    let put = client
        .put(format!("{}/api/v1/servicios/{service}/conector", s.control))
        .bearer_auth(&token)
        .json(&json!({"origenes": [format!("http://{upstream}/base")], "tiempo_espera_ms": 60000, "max_cuerpo_bytes": 300_000_000}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(put.status().is_success(), "{}", put.text().await.unwrap_or_default());
    let connector = get_json(&client, &format!("{}/api/v1/servicios/{service}/conector", s.control), &token).await;
    let base = format!("{}{}", s.gateway, connector["ruta_base"].as_str().unwrap_or_default());
    let small = format!("{base}personas/1234567");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = client.get(&small).header("apikey", &key).send().await;
        if let Ok(r) = r
            && r.text().await.unwrap_or_default().contains("\"origen\":\"grande\"")
        {
            break;
        }
        assert!(Instant::now() < deadline, "the new connector never took over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = s.pid();
    let before = peak_rss(pid);
    assert!(before > 0, "no VmHWM for {pid}");
    // A call through the gateway with the demo key, its answer's body still unread.
    let call = async |url: &str| {
        client
            .get(url)
            .header("apikey", &key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let host = base.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
    let path = base.trim_start_matches("http://").trim_start_matches(&host).to_owned();

    // A client that reads a little of a 200 MB answer and then stops reading (keeping the
    // connection open).
    let mut stalled = raw(
        &s.gateway,
        &format!("GET {path}personas/grande HTTP/1.1\r\nHost: {host}\r\napikey: {key}\r\n\r\n"),
    )
    .await;
    let (stalled_head, _) = read_head(&mut stalled).await;
    assert!(stalled_head.starts_with("HTTP/1.1 200"), "{stalled_head}");
    let stalled_id = request_id_of(&stalled_head);
    let mut piece = vec![0u8; 1 << 20];
    let _ = stalled.read(&mut piece).await;

    // Meanwhile other calls are answered.
    for _ in 0..20 {
        let r = tokio::time::timeout(Duration::from_secs(20), client.get(&small).header("apikey", &key).send())
            .await
            .unwrap_or_else(|_| panic!("a call waited behind the client that stopped reading"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200);
    }

    // The whole 200 MB answer, read to its end.
    let mut r = call(&format!("{base}personas/grande")).await;
    assert_eq!(r.status(), 200);
    let download_id = r.headers()["x-request-id"].to_str().unwrap_or_default().to_owned();
    let mut got = 0u64;
    while let Some(c) = r.chunk().await.unwrap_or_else(|e| panic!("{e}")) {
        got += c.len() as u64;
    }
    assert_eq!(got, BIG);

    // A 200 MB request body, declared, sent in pieces on a raw connection.
    let mut up = raw(
        &s.gateway,
        &format!(
            "POST {path}contrastacion HTTP/1.1\r\nHost: {host}\r\napikey: {key}\r\ncontent-type: application/octet-stream\r\ncontent-length: {BIG}\r\nconnection: close\r\n\r\n"
        ),
    )
    .await;
    let block = vec![b'b'; CHUNK];
    let mut sent = 0u64;
    while sent < BIG {
        up.write_all(&block).await.unwrap_or_else(|e| panic!("{e}"));
        sent += CHUNK as u64;
    }
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await.unwrap_or_else(|e| panic!("{e}"));
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(&format!("\"bytes\":{BIG}")), "{answer}");
    let upload_id = request_id_of(&answer);

    // Bodies a client leaves unsent, on connections it keeps open: one to be read whole (1,000
    // bytes declared, 10 sent) and one streamed (chunked, one piece sent). Each is refused with
    // 408 `cuerpo_lento` after the configured 2 s, with its record; without that each would hold
    // its call (and the streamed one a connection to the publisher) for as long as the client
    // keeps the socket.
    let mut slow_calls = Vec::new();
    for (kind, framing, first) in [
        ("whole", "content-length: 1000", "0123456789"),
        ("streamed", "transfer-encoding: chunked", "a\r\n0123456789\r\n"),
    ] {
        let mut slow = raw(
            &s.gateway,
            &format!(
                "POST {path}contrastacion HTTP/1.1\r\nHost: {host}\r\napikey: {key}\r\ncontent-type: application/octet-stream\r\n{framing}\r\n\r\n{first}"
            ),
        )
        .await;
        let (answer, _) = tokio::time::timeout(Duration::from_secs(30), read_head(&mut slow))
            .await
            .unwrap_or_else(|_| panic!("{kind}: a body left unsent was waited for without end"));
        assert!(answer.starts_with("HTTP/1.1 408"), "{kind}: {answer}");
        slow_calls.push((kind, request_id_of(&answer), slow));
    }

    let after = peak_rss(pid);
    eprintln!("peak RSS {} MB before, {} MB after", before >> 20, after >> 20);
    assert!(
        after.saturating_sub(before) < 32 << 20,
        "peak RSS grew {} MB (from {} MB)",
        after.saturating_sub(before) >> 20,
        before >> 20
    );

    // Records: the streamed answer's before its head and its completion; the upload's one record
    // with every byte counted.
    let recs = wait_records(dir.path(), &download_id, 2).await;
    let head = recs.iter().find(|r| r["part"] == "inicio").unwrap_or_else(|| panic!("{recs:?}"));
    let end = recs.iter().find(|r| r["part"] == "fin").unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!((head["status"].as_u64(), head["upstream_status"].as_u64()), (Some(200), Some(200)));
    assert_eq!(end["bytes_out"].as_u64(), Some(BIG), "{end}");
    assert!(end["cut"].is_null(), "{end}");
    assert!(end["seq"].as_u64() > head["seq"].as_u64(), "the completion follows in the chain");
    let recs = wait_records(dir.path(), &upload_id, 1).await;
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!((recs[0]["status"].as_u64(), recs[0]["bytes_in"].as_u64()), (Some(200), Some(BIG)));
    for (kind, id, _connection) in &slow_calls {
        let recs = wait_records(dir.path(), id, 1).await;
        assert_eq!(
            (recs[0]["status"].as_u64(), recs[0]["refusal"].as_str()),
            (Some(408), Some("cuerpo_lento")),
            "{kind}: {recs:?}"
        );
    }
    // The client that stopped reading, still connected, is disconnected after the configured
    // 2 s: its call ends as cut (without that, its completion record would wait for as long as it
    // keeps the socket).
    let recs = wait_records(dir.path(), &stalled_id, 2).await;
    let end = recs.iter().find(|r| r["part"] == "fin").unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(end["cut"], "cliente_cerro", "{end}");
    assert!(end["bytes_out"].as_u64() < Some(BIG), "{end}");
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match stalled.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the stalled connection was not closed");

    // Answers above the maximum: refused before their body when declared, cut when streamed.
    let r = call(&format!("{base}personas/declarada")).await;
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["codigo"], "respuesta_muy_grande", "{v}");
    let mut r = call(&format!("{base}personas/enorme")).await;
    assert_eq!(r.status(), 200);
    let cut_id = r.headers()["x-request-id"].to_str().unwrap_or_default().to_owned();
    let mut got = 0u64;
    let broke = loop {
        match r.chunk().await {
            Ok(Some(c)) => got += c.len() as u64,
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(broke && got <= 250 << 20, "the client must see the answer broken off ({got} bytes)");
    let recs = wait_records(dir.path(), &cut_id, 2).await;
    let end = recs.iter().find(|r| r["part"] == "fin").unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(end["cut"], "respuesta_muy_grande", "{end}");

    // The completion records are links of the same chain: after a graceful stop (which imports
    // the last records) the whole call chain, up to its last record, verifies.
    let (stopped, _) = s.terminate();
    assert!(stopped);
    let last = records_all(dir.path()).iter().filter_map(|r| r["seq"].as_u64()).max().unwrap_or(0);
    let out = crate::helpers::iop(&["audit", "verify", "--data-dir", dir.path().to_str().unwrap_or(".")])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("llamadas/n1: registros 1–{last}")), "{last}: {text}");
    // Every record, the completion records with their `part` and `cut` too, is stored in the
    // store's compact form: none had to be kept verbatim.
    let url = format!("sqlite://{}", dir.path().join("iop.sqlite3").display());
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (all, verbatim): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(raw) FROM call_log")
        .fetch_one(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((all as u64, verbatim), (last, 0));
}
