//! Bench-only baselines: FastCGI responders that answer every request with a fixed JSON
//! body. `noop_responder SOCKET ours` uses accounthub's own record layer (connection
//! slots, decoder, one write per answer) exactly as `serve` does, so `bench/ping.sh`
//! shows what the pipeline costs on top of it; `noop_responder SOCKET tokio-fastcgi`
//! uses the crate the layer replaced, so the same run shows how the layers compare.

use std::io::Read;
use std::time::Duration;

use accounthub::front::fastcgi::conn::{Conn, Timeouts};
use accounthub::front::fastcgi::decoder::Limits;
use accounthub::front::fastcgi::slots::Slots;
use tokio::net::UnixListener;
use tokio_fastcgi::{RequestResult, Requests};

const ANSWER: &[u8] = b"Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\
Access-Control-Allow-Origin: *\r\n\r\n{\"status\":\"OK\"}";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: noop_responder SOCKET [ours|tokio-fastcgi]");
    let layer = args.next().unwrap_or_else(|| "ours".into());
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).expect("bind socket");
    match layer.as_str() {
        "ours" => ours(listener).await,
        "tokio-fastcgi" => crate_layer(listener).await,
        other => panic!("unknown layer {other:?}"),
    }
}

/// The same limits, deadlines and slots as the defaults of `accounthub serve`.
async fn ours(listener: UnixListener) {
    let slots = Slots::new(4096);
    let limits = Limits {
        params: 256 * 1024,
        stdin: 1024 * 1024,
        connections: 4096,
    };
    let timeouts = Timeouts {
        idle: Duration::from_secs(90),
        header: Duration::from_secs(10),
        body: Duration::from_secs(60),
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let slot = slots.claim().await;
        tokio::spawn(async move {
            let mut conn = Conn::new(stream, limits, timeouts);
            while let Some(incoming) = conn.next_request(&slot).await {
                if !conn.respond(incoming.id, incoming.keep_conn, ANSWER).await {
                    break;
                }
            }
        });
    }
}

async fn crate_layer(listener: UnixListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let (reader, writer) = tokio::io::split(stream);
            let mut requests = Requests::new(reader, writer, 255, 1);
            while let Ok(Some(request)) = requests.next().await {
                let served = request
                    .process(|request| async move {
                        let mut body = Vec::new();
                        let _ = request.get_stdin().read_to_end(&mut body);
                        let _ = request.get_stdout().write(ANSWER).await;
                        RequestResult::Complete(0)
                    })
                    .await;
                if served.is_err() {
                    break;
                }
            }
        });
    }
}
