//! A TCP proxy in front of PostgreSQL, so a test can "stop the database" for the services of one
//! [`crate::TestSystem`] without touching the server other tests share: [`DbProxy::stop`] cuts
//! every open connection and refuses new ones until [`DbProxy::start`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct DbProxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    /// Bumped on every stop: connections open before it end.
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl DbProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (host:port).
    pub async fn start_to(upstream: String) -> DbProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (flag, cuts) = (up.clone(), cut.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                if !flag.load(Ordering::SeqCst) {
                    drop(client); // "connection refused", as near as a listener can say it
                    continue;
                }
                let mut stop = cuts.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = stop.changed() => {}
                    }
                });
            }
        });
        DbProxy { addr, up, cut, task }
    }

    /// PostgreSQL is "down": open connections are cut, new ones refused.
    pub fn stop(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    /// PostgreSQL is back.
    pub fn start(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
