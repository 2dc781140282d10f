// bindall - the least work of a super-server's start-up: create, bind and
// listen COUNT TCP sockets on HOST, ports FIRST .. FIRST+COUNT-1, as superd
// does (SOCK_CLOEXEC, SO_REUSEADDR, backlog 1024), then exit. The
// benchmark times it from exec to exit, next to `superd --check` on the
// same table, to see what superd's start-up adds to parsing the table and
// binding its sockets (bench/README.md, "Start-up at 10,000 services").
//
//   bindall [-b BACKLOG] HOST FIRST COUNT
//
// Exit status 0 when every socket listened, 1 (and the first failure on
// stderr) if one did not, 2 for a usage error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  int backlog = 1024;
  int opt;
  while ((opt = getopt(argc, argv, "b:h")) != -1) {
    if (opt == 'b') {
      backlog = atoi(optarg);
    } else {
      fprintf(stderr, "usage: bindall [-b BACKLOG] HOST FIRST COUNT\n");
      return 2;
    }
  }
  if (optind + 3 != argc) {
    fprintf(stderr, "usage: bindall [-b BACKLOG] HOST FIRST COUNT\n");
    return 2;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[optind], &a.sin_addr) != 1) {
    fprintf(stderr, "bindall: %s: not an IPv4 address\n", argv[optind]);
    return 2;
  }
  const long first = strtol(argv[optind + 1], nullptr, 10);
  const long count = strtol(argv[optind + 2], nullptr, 10);
  if (first < 1 || count < 1 || first + count - 1 > 65535) {
    fprintf(stderr, "bindall: bad port range\n");
    return 2;
  }
  rlimit rl;  // one descriptor per socket, plus a margin
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rlim_t(count) + 64) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rlim_t(count) + 64
                      ? rlim_t(count) + 64
                      : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (long port = first; port < first + count; ++port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0 ||
        listen(fd, backlog) < 0) {
      fprintf(stderr, "bindall: unable to listen on %s:%ld: %s\n", argv[optind], port,
              strerror(errno));
      return 1;
    }
  }
  return 0;  // the sockets close with the process
}
