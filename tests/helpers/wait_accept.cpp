// superd-test-wait-accept: a wait-mode TCP service. fd 0 is the listening
// socket itself; it accepts connections on it, answers each with
// "pid=N served=K\n" (K counts from 1) and closes it, and exits 0 once no
// connection arrived for IDLE_MS milliseconds (default 1500), or once it
// has served N connections (--count N), whichever comes first.
//
//   superd-test-wait-accept [--mode] [--count N] [IDLE_MS]
//
// --mode adds " nonblock=B" to each answer: whether fd 0 was in
// non-blocking mode (O_NONBLOCK) when the connection was accepted.
// --count N with a long IDLE_MS makes the program's lifetime a matter of
// connections, not of time: a test that needs two connections to reach the
// same instance does not race its idle window.
// Exits 2 on a bad argument, 3 if fd 0 is not a listening socket.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  bool mode = false;
  long count = 0;  // 0: no limit
  int idle_ms = 1500;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mode") == 0) {
      mode = true;
    } else if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      count = std::strtol(argv[++i], nullptr, 10);
      if (count <= 0) return 2;
    } else {
      idle_ms = std::atoi(argv[i]);
    }
  }
  int listening = 0;
  socklen_t len = sizeof listening;
  if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
      listening == 0)
    return 3;
  for (long served = 1;; ++served) {
    pollfd p{0, POLLIN, 0};
    const int ready = poll(&p, 1, idle_ms);
    if (ready < 0 && errno == EINTR) {
      --served;
      continue;
    }
    if (ready <= 0) return 0;
    const int conn = accept(0, nullptr, nullptr);
    if (conn < 0) {
      --served;
      continue;
    }
    std::string answer = "pid=" + std::to_string(getpid()) + " served=" + std::to_string(served);
    if (mode) answer += (fcntl(0, F_GETFL) & O_NONBLOCK) ? " nonblock=1" : " nonblock=0";
    answer += "\n";
    (void)!write(conn, answer.data(), answer.size());
    close(conn);
    if (served == count) return 0;
  }
}
