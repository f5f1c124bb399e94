//! A TCP proxy on 127.0.0.1 that can cut or freeze the connections through
//! it. Pure std: one thread accepts, two threads per connection copy bytes.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Forwards every connection made to [`Self::addr`] to an upstream address
/// on the loopback, in both directions, until told otherwise:
///
/// - [`Self::cut`] closes every current connection (both sockets are shut
///   down, so both peers see the connection end);
/// - [`Self::freeze`] stops forwarding without closing anything: the peers
///   see silence (their bytes are read and held, and TCP still acknowledges
///   them, so keepalives and `TCP_USER_TIMEOUT` see a live peer);
///   [`Self::thaw`] forwards what was held and goes on.
///
/// Dropping it closes every connection and joins its threads.
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    frozen: AtomicBool,
    accepted: AtomicUsize,
    held: AtomicUsize,
    next_id: AtomicUsize,
    connections: Mutex<Vec<Connection>>,
    pumps: Mutex<Vec<JoinHandle<()>>>,
}

struct Connection {
    id: usize,
    client: TcpStream,
    upstream: TcpStream,
    closed: Arc<AtomicBool>,
}

impl Connection {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.upstream.shutdown(Shutdown::Both);
    }
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`, which
    /// must be a loopback address.
    pub fn start(upstream: SocketAddr) -> Self {
        assert!(
            upstream.ip().is_loopback(),
            "FaultProxy only forwards to the loopback, not to {upstream}"
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("the proxy's address");
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("fault-proxy-{}", addr.port()))
                .spawn(move || accept(&listener, upstream, &shared))
                .expect("starting the proxy's thread")
        };
        FaultProxy {
            addr,
            upstream,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Where it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Closes every current connection; returns how many. New connections
    /// are accepted as before.
    pub fn cut(&self) -> usize {
        let connections = self.connections();
        for connection in connections.iter() {
            connection.close();
        }
        connections.len()
    }

    /// Stops forwarding, in both directions, without closing anything.
    pub fn freeze(&self) {
        self.shared.frozen.store(true, Ordering::SeqCst);
    }

    /// Forwards again, starting with what was held.
    pub fn thaw(&self) {
        self.shared.frozen.store(false, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now.
    pub fn active(&self) -> usize {
        self.connections().len()
    }

    /// Bytes read while frozen and not forwarded yet. Above 0, a peer has
    /// sent something that the other peer has not received.
    pub fn held_bytes(&self) -> usize {
        self.shared.held.load(Ordering::SeqCst)
    }

    fn connections(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.shared
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.cut();
        // Wakes the acceptor, which then sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.cut();
        let pumps =
            std::mem::take(&mut *self.shared.pumps.lock().unwrap_or_else(|e| e.into_inner()));
        for pump in pumps {
            let _ = pump.join();
        }
    }
}

fn accept(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(10)) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        let (Ok(client3), Ok(server3)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        let closed = Arc::new(AtomicBool::new(false));
        shared
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Connection {
                id,
                client: client3,
                upstream: server3,
                closed: Arc::clone(&closed),
            });
        let alive = Arc::new(AtomicUsize::new(2));
        let mut pumps = shared.pumps.lock().unwrap_or_else(|e| e.into_inner());
        pumps.retain(|p| !p.is_finished());
        for (from, to) in [(client, server), (server2, client2)] {
            let (shared, closed, alive) =
                (Arc::clone(shared), Arc::clone(&closed), Arc::clone(&alive));
            let pump = std::thread::Builder::new()
                .name(format!("fault-proxy-{id}"))
                .spawn(move || {
                    pump(from, to, &shared, &closed);
                    if alive.fetch_sub(1, Ordering::SeqCst) == 1 {
                        shared
                            .connections
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .retain(|c| c.id != id);
                    }
                });
            if let Ok(pump) = pump {
                pumps.push(pump);
            }
        }
    }
}

/// Copies `from` to `to` until either ends, holding what it reads while the
/// proxy is frozen.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared, closed: &AtomicBool) {
    let mut buffer = [0u8; 16 * 1024];
    let ended = |closed: &AtomicBool| {
        closed.load(Ordering::SeqCst) || shared.stopping.load(Ordering::SeqCst)
    };
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if shared.frozen.load(Ordering::SeqCst) {
            shared.held.fetch_add(n, Ordering::SeqCst);
            while shared.frozen.load(Ordering::SeqCst) && !ended(closed) {
                std::thread::sleep(Duration::from_millis(5));
            }
            shared.held.fetch_sub(n, Ordering::SeqCst);
        }
        if ended(closed) || to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    // The other side sees the end too: a half-close on a clean end, a full
    // one after a cut.
    let _ = to.shutdown(Shutdown::Write);
    if ended(closed) {
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    }
}
