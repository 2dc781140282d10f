// superd: command line -> table -> supervisor -> exit status (superd(8)).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli.hpp"
#include "daemon.hpp"
#include "log.hpp"
#include "supervisor.hpp"
#include "table_load.hpp"
#include "table_loader.hpp"

using namespace superd;

namespace {
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Detaches, switches logging and writes the pid file as asked; false (having
// said why on stderr, still the terminal's) when superd cannot start.
bool Prepare(const Options& options, UniqueFd& report, PidFile& pid_file) {
  std::string error;
  if (!options.pid_file.empty() && !PidFile::Free(options.pid_file, error)) {
    std::fprintf(stderr, "superd: %s\n", error.c_str());
    return false;
  }
  if (options.daemon && !(report = Detach(error))) {
    std::fprintf(stderr, "superd: %s\n", error.c_str());
    return false;
  }
  // Started before the syslog daemon, or on a machine without one, superd
  // serves all the same; stderr (the terminal, an init script's) hears why
  // its lines are lost until one listens.
  if (options.syslog && !Log::UseSyslog(error))
    std::fprintf(stderr, "superd: warning: %s; log lines are counted and dropped "
                 "until a syslog daemon listens there\n", error.c_str());
  if (!options.pid_file.empty() && !pid_file.Create(options.pid_file, error)) {
    LOG_ERROR("superd", "%s", error.c_str());
    return false;
  }
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  // A SIGHUP or SIGUSR1 while a large table loads (logrotate, an impatient
  // administrator) would end superd by their default action: they wait,
  // blocked, for the loop's signalfd (SignalSet blocks them for good).
  sigset_t early;
  sigemptyset(&early);
  sigaddset(&early, SIGHUP);
  sigaddset(&early, SIGUSR1);
  sigprocmask(SIG_BLOCK, &early, nullptr);
  CliResult cli = ParseCommandLine(argc, argv);
  if (!cli.error.empty()) {
    std::fprintf(stderr, "superd: %s\nTry 'superd --help'.\n", cli.error.c_str());
    return kExitUsage;
  }
  const Options& options = cli.options;
  if (options.help) {
    std::fputs(cli.help.c_str(), stdout);
    return kExitOk;
  }
  if (options.version) {
    std::printf("superd %s\n", SUPERD_VERSION);
    return kExitOk;
  }
  Log::SetLevel(options.log_level);

  // Serving, superd reloads the table from / (--daemon) and watches its
  // directory: a relative path is made absolute while it still means
  // what the administrator meant.
  const std::string config =
      options.check ? options.config : std::filesystem::absolute(options.config).string();
  LoadResult loaded = LoadTable(config);
  if (!loaded.table) {
    std::fputs(loaded.diagnostics.FormatAll().c_str(), stderr);
    return kExitFailure;
  }
  if (options.check) {
    std::fputs(loaded.diagnostics.FormatAll().c_str(), stderr);  // warnings
    std::printf("%s: ok (%zu service%s)\n", config.c_str(),
                loaded.table->services.size(),
                loaded.table->services.size() == 1 ? "" : "s");
    return kExitOk;
  }
  for (const Diagnostic& d : loaded.diagnostics.warnings())
    LOG_WARNING("superd", "%s", Diagnostics::Format(d).c_str());
  // The YAML tree is gone; give its memory back before serving for years.
  malloc_trim(0);

  UniqueFd report;  // to the waiting parent, with --daemon
  PidFile pid_file;
  if (!Prepare(options, report, pid_file)) {
    ReportStarted(report, kExitFailure);
    return kExitFailure;
  }
  Log::FollowStderr();  // once Detach has closed what is not ours
  SupervisorOptions run_options;
  // A developer's knob for the benchmark: SUPERD_SPAWN=vfork.
  if (const char* spawn = std::getenv("SUPERD_SPAWN"))
    run_options.concurrent_spawn = std::string_view(spawn) != "vfork";
  run_options.on_ready = [&report] { ReportStarted(report, kExitOk); };
  const bool ok = Supervisor::Run(std::move(*loaded.table), run_options);
  pid_file.Remove();  // before a waiting parent can report the failure
  ReportStarted(report, kExitFailure);  // if it never became ready
  if (TableLoad::AnyRunning()) {  // stopped during a reload stuck in a look-up
    std::fflush(nullptr);
    _exit(ok ? kExitOk : kExitFailure);
  }
  return ok ? kExitOk : kExitFailure;
}
