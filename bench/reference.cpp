// reference - the benchmark's yardstick: the least work that serves one
// connection with one process on this machine.
//
//   reference [-m MODE] [-p] [-b BACKLOG] [-r REPLY] -l HOST:PORT [PROGRAM [ARG...]]
//
// MODE is how a connection is served:
//   vfork        accept, vfork, dup2 to fds 0 and 1, execve (the default and
//                the reference the benchmark's ratios are taken against)
//   posix_spawn  the same through posix_spawn(3) with dup2 file actions
//   fork         the same with fork(): the page-table copy a vfork avoids,
//                but the parent goes on accepting while the child execs
//   clone        clone(CLONE_VM) on a small dedicated stack without
//                CLONE_VFORK: no page-table copy, and the parent goes on
//                accepting while the child execs (a stack is reused once the
//                kernel has cleared its CLONE_CHILD_CLEARTID word at exec)
//   inproc       no process at all: write REPLY and close (the network path
//                alone)
//   close        no process and no reply: accept and close at once (what a
//                refusal costs at the least; the yardstick for superd's
//                allow/deny refusals)
// -p: every connection begins with a PROXY protocol v2 header (a load
// balancer's), read at the least cost before the connection is served: the
// listening socket has TCP_DEFER_ACCEPT (as superd's proxy_protocol
// services), and the header is taken by two blocking reads, its 16 fixed
// bytes and then the length they give; the address in it is not looked at.
// A connection without one is closed.
// Children are reaped by a SIGCHLD handler. The listening socket has the
// same backlog as superd's default (1024). The program gets only fds 0 and
// 1 (and whatever fd 2 this process has) and the environment PATH=....
// Nothing is logged. It runs until SIGTERM or SIGINT.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

enum class Mode { kVfork, kPosixSpawn, kFork, kClone, kInproc, kClose };

char** g_argv;
char* g_envp[] = {const_cast<char*>("PATH=/usr/local/bin:/usr/bin:/bin"), nullptr};

void Reaper(int) {
  int saved = errno;
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  errno = saved;
}

[[noreturn]] void Usage(const char* why) {
  if (why) fprintf(stderr, "reference: %s\n", why);
  fprintf(stderr,
          "usage: reference [-m vfork|posix_spawn|fork|clone|inproc|close] [-p] "
          "[-b BACKLOG] [-r REPLY] -l HOST:PORT [PROGRAM [ARG...]]\n");
  exit(2);
}

// clone(CLONE_VM) children: each runs on its own stack from this pool. The
// kernel zeroes `busy` (CLONE_CHILD_CLEARTID) and wakes its futex when the
// child execs or exits, that is when it stops using the stack.
struct CloneStack {
  alignas(64) std::atomic<int> busy{0};
  int socket = -1;
  char* top = nullptr;
};
constexpr size_t kStackSize = 64 * 1024;
constexpr size_t kStacks = 64;
CloneStack g_stacks[kStacks];

// The clone child shares memory with the parent, which goes on running:
// it must write nothing the parent uses (not even errno), so it makes raw
// system calls only.
int CloneChild(void* arg) {
  auto* st = static_cast<CloneStack*>(arg);
  syscall(SYS_dup2, st->socket, 0);
  syscall(SYS_dup2, st->socket, 1);
  syscall(SYS_execve, g_argv[0], g_argv, g_envp);
  syscall(SYS_exit, 127);
  return 127;
}

CloneStack* FreeStack() {
  for (;;) {
    for (CloneStack& st : g_stacks)
      if (st.busy.load(std::memory_order_acquire) == 0) return &st;
    // All in use: wait for the first one to be released.
    int value = g_stacks[0].busy.load();
    if (value != 0)
      syscall(SYS_futex, &g_stacks[0].busy, FUTEX_WAIT, value, nullptr, nullptr, 0);
  }
}

// The child of vfork() or fork(): the connection as stdin/stdout, exec.
[[noreturn]] void ExecChild(int conn) {
  dup2(conn, 0);
  dup2(conn, 1);
  execve(g_argv[0], g_argv, g_envp);
  _exit(127);
}

// -p: takes the PROXY v2 header off the connection; whether it had one.
bool ReadProxyHeader(int conn) {
  static const unsigned char kSignature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                               0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  unsigned char header[16 + 65535];
  if (recv(conn, header, 16, MSG_WAITALL) != 16 || memcmp(header, kSignature, 12) != 0)
    return false;
  const size_t length = header[14] << 8 | header[15];
  return length == 0 ||
         recv(conn, header + 16, length, MSG_WAITALL) == static_cast<ssize_t>(length);
}

pid_t Spawn(Mode mode, int conn) {
  switch (mode) {
    case Mode::kVfork: {
      pid_t pid = vfork();
      if (pid == 0) ExecChild(conn);
      return pid;
    }
    case Mode::kFork: {
      pid_t pid = fork();
      if (pid == 0) ExecChild(conn);
      return pid;
    }
    case Mode::kPosixSpawn: {
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_adddup2(&fa, conn, 0);
      posix_spawn_file_actions_adddup2(&fa, conn, 1);
      pid_t pid;
      int rc = posix_spawn(&pid, g_argv[0], &fa, nullptr, g_argv, g_envp);
      posix_spawn_file_actions_destroy(&fa);
      if (rc != 0) {
        errno = rc;
        return -1;
      }
      return pid;
    }
    case Mode::kClone: {
      CloneStack* st = FreeStack();
      st->socket = conn;
      st->busy.store(1, std::memory_order_release);
      pid_t pid = clone(CloneChild, st->top, CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD,
                        st, nullptr, nullptr, &st->busy);
      if (pid < 0) st->busy.store(0);
      return pid;
    }
    case Mode::kInproc:
    case Mode::kClose:
      break;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Mode mode = Mode::kVfork;
  int backlog = 1024;
  std::string listen_at, reply = "hello\r\n";
  bool proxy = false;
  int opt;
  while ((opt = getopt(argc, argv, "+m:pb:r:l:h")) != -1) {
    switch (opt) {
      case 'm':
        if (!strcmp(optarg, "vfork")) mode = Mode::kVfork;
        else if (!strcmp(optarg, "posix_spawn")) mode = Mode::kPosixSpawn;
        else if (!strcmp(optarg, "fork")) mode = Mode::kFork;
        else if (!strcmp(optarg, "clone")) mode = Mode::kClone;
        else if (!strcmp(optarg, "inproc")) mode = Mode::kInproc;
        else if (!strcmp(optarg, "close")) mode = Mode::kClose;
        else Usage("unknown mode");
        break;
      case 'p': proxy = true; break;
      case 'b': backlog = atoi(optarg); break;
      case 'r': reply = optarg; break;
      case 'l': listen_at = optarg; break;
      case 'h': Usage(nullptr);
      default: Usage("unknown option");
    }
  }
  if (listen_at.empty()) Usage("missing -l HOST:PORT");
  if (mode != Mode::kInproc && mode != Mode::kClose && optind >= argc)
    Usage("missing PROGRAM");
  g_argv = argv + optind;

  size_t colon = listen_at.rfind(':');
  if (colon == std::string::npos) Usage("-l takes HOST:PORT");
  std::string host = listen_at.substr(0, colon), port = listen_at.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    fprintf(stderr, "reference: %s: %s\n", listen_at.c_str(), gai_strerror(rc));
    return 1;
  }
  int lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (proxy) setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
  if (lfd < 0 || bind(lfd, res->ai_addr, res->ai_addrlen) < 0 || listen(lfd, backlog) < 0) {
    fprintf(stderr, "reference: unable to listen on %s: %s\n", listen_at.c_str(),
            strerror(errno));
    return 1;
  }
  freeaddrinfo(res);

  struct sigaction sa {};
  sa.sa_handler = Reaper;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (mode == Mode::kClone) {
    for (CloneStack& st : g_stacks) {
      void* p = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (p == MAP_FAILED) {
        perror("reference: mmap");
        return 1;
      }
      st.top = static_cast<char*>(p) + kStackSize;
    }
  }

  for (;;) {
    int conn = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        usleep(10'000);
      continue;  // EINTR, ECONNABORTED, ...
    }
    if (mode == Mode::kClose || (proxy && !ReadProxyHeader(conn))) {
      // nothing: closed below
    } else if (mode == Mode::kInproc) {
      ssize_t ignored = write(conn, reply.data(), reply.size());
      (void)ignored;
    } else if (Spawn(mode, conn) < 0) {
      perror("reference: spawn");
    }
    close(conn);
  }
}
