"""A TCP proxy the tests put between the service and PostgreSQL, to make the network fail for real.

`cut()` refuses new connections and resets the open ones; `black_hole()` keeps accepting and
reading but never forwards a byte either way (a network dropping packets, where nothing answers
and nothing resets); `restore()` forwards again (connections that were black-holed are closed:
their protocol state is lost).
"""

import socket
import threading

from .redis_server import free_port

FORWARD, BLACK_HOLE, CUT = "forward", "black hole", "cut"


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stopped = False

    def start(self) -> None:
        self._listen()

    def stop(self) -> None:
        self._stopped = True
        self._close_listener()
        self._close_connections()

    def cut(self) -> None:
        """Connections refused (nothing listens on the port) and the open ones reset."""
        self.mode = CUT
        self._close_listener()
        self._close_connections()

    def black_hole(self) -> None:
        self.mode = BLACK_HOLE

    def restore(self) -> None:
        previous, self.mode = self.mode, FORWARD
        if previous == BLACK_HOLE:
            self._close_connections()
        if self._listener is None:
            self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone would not.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()

    def _close_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            try:
                # SO_LINGER 0: close sends a reset, as a dead peer or a firewall's reject would.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            if self.mode == BLACK_HOLE:
                upstream = None
            else:
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                    upstream.settimeout(None)
                except OSError:
                    client.close()
                    continue
            with self._lock:
                self._connections.extend(s for s in (client, upstream) if s is not None)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            if upstream is not None:
                threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, destination: socket.socket | None) -> None:
        try:
            while data := source.recv(65536):
                if self.mode == FORWARD and destination is not None:
                    destination.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, destination):
                if end is not None:
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
