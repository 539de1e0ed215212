//! Bench-only baseline: a FastCGI responder built on the same crate (tokio-fastcgi) that
//! answers every request with a fixed JSON body. `bench/ping.sh` compares accounthub's
//! `ping` against it to show what our pipeline costs on top of FastCGI itself.

use std::io::Read;

use tokio::net::UnixListener;
use tokio_fastcgi::{RequestResult, Requests};

const ANSWER: &[u8] = b"Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\
Access-Control-Allow-Origin: *\r\n\r\n{\"status\":\"OK\"}";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: noop_responder SOCKET");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).expect("bind socket");
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
