// superd-test-activate: plays a service manager that passes sockets
// (sd_listen_fds(3)): binds each LISTEN argument, passes the sockets as
// descriptors 3... with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES, and execs
// COMMAND in the same process.
//
//   superd-test-activate tcp:IP:PORT|udp:IP:PORT|unix:PATH... -- COMMAND [ARG...]
//
// Prints "fd N inode I" for each socket to stderr, so a test can check that
// the daemon serves on the very socket it was given.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "superd-test-activate: unable to %s: %s\n", what.c_str(),
               std::strerror(errno));
  std::exit(111);
}

int Bind(const std::string& spec) {
  const bool unix_socket = spec.rfind("unix:", 0) == 0;
  const bool udp = spec.rfind("udp:", 0) == 0;
  const int type = udp ? SOCK_DGRAM : SOCK_STREAM;
  sockaddr_storage ss{};
  socklen_t len;
  if (unix_socket) {
    auto* un = reinterpret_cast<sockaddr_un*>(&ss);
    un->sun_family = AF_UNIX;
    std::strncpy(un->sun_path, spec.c_str() + 5, sizeof un->sun_path - 1);
    unlink(un->sun_path);
    len = sizeof *un;
  } else {
    const std::string rest = spec.substr(4);
    const size_t colon = rest.rfind(':');
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(std::atoi(rest.c_str() + colon + 1)));
    if (inet_pton(AF_INET, rest.substr(0, colon).c_str(), &in->sin_addr) != 1) Die("parse " + spec);
    len = sizeof *in;
  }
  const int fd = socket(ss.ss_family, type, 0);
  const int one = 1;
  if (fd < 0) Die("create a socket");
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) Die("bind " + spec);
  if (type == SOCK_STREAM && listen(fd, 64) != 0) Die("listen on " + spec);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  int n = 0;
  std::string names;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i, ++n) {
    const int fd = Bind(argv[i]);
    if (dup2(fd, 3 + n) < 0) Die("move a socket");
    if (fd != 3 + n) close(fd);
    struct stat st;
    fstat(3 + n, &st);
    std::fprintf(stderr, "fd %d inode %lu\n", 3 + n, static_cast<unsigned long>(st.st_ino));
    names += (n ? ":" : "") + std::string("sock") + std::to_string(n);
  }
  if (i + 1 >= argc) {
    std::fprintf(stderr, "usage: superd-test-activate LISTEN... -- COMMAND [ARG...]\n");
    return 2;
  }
  setenv("LISTEN_FDS", std::to_string(n).c_str(), 1);
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  setenv("LISTEN_FDNAMES", names.c_str(), 1);
  execv(argv[i + 1], argv + i + 1);
  Die(std::string("exec ") + argv[i + 1]);
}
