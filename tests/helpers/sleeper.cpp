// superd-test-sleeper: a service instance that stays alive on purpose, for
// max_instances queuing and shutdown tests.
//
//   superd-test-sleeper [--ignore-term] [--fork] [--until-eof] [SECONDS]
//
// Writes "pid=N\n" to stdout (and "child=M\n" with --fork, a child in the
// same process group that sleeps as long and keeps the default SIGTERM),
// then "ready\n" once every option is in effect. Then it sleeps SECONDS
// (default 30), or with --until-eof reads stdin until end of input; exits 0.
// --ignore-term sets SIGTERM to SIG_IGN in the main process only.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

void Say(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(1, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void SleepFor(long seconds) {
  timespec left{seconds, 0};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool ignore_term = false, fork_child = false, until_eof = false;
  long seconds = 30;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ignore-term") == 0) ignore_term = true;
    else if (std::strcmp(argv[i], "--fork") == 0) fork_child = true;
    else if (std::strcmp(argv[i], "--until-eof") == 0) until_eof = true;
    else seconds = std::strtol(argv[i], nullptr, 10);
  }
  Say("pid=" + std::to_string(getpid()) + "\n");
  if (fork_child) {
    const pid_t child = fork();
    if (child == 0) {
      SleepFor(seconds);
      _exit(0);
    }
    Say("child=" + std::to_string(child) + "\n");
  }
  if (ignore_term) signal(SIGTERM, SIG_IGN);
  Say("ready\n");
  if (until_eof) {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(0, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
  } else {
    SleepFor(seconds);
  }
  return 0;
}
