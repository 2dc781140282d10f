#include "exec_check.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace superd {
namespace {

// One string of at most MAX_ARG_STRLEN (32 pages), all of them, with their
// pointers, within ARG_MAX. superd's own variables take at most this much
// besides `env` (PATH, SUPERD_SERVICE and the per-connection ones, each in
// a slot of 80 bytes: spawn_plan.hpp).
constexpr size_t kMaxArgString = 32 * 4096;
constexpr size_t kOwnEnvBytes = 64 + 12 * 80;

}  // namespace

std::string ProgramProblem(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return "unable to find " + path + ": " + strerror(errno);
  if (!S_ISREG(st.st_mode)) return path + " is not a regular file";
  if (access(path.c_str(), X_OK) != 0) return path + " is not executable";
  return "";
}

std::optional<ExecSizeProblem> CheckExecSize(const Service& service) {
  // The path is copied for the new program too, besides argv[0].
  size_t total = kOwnEnvBytes + service.name.size() + service.program.size() + 1;
  std::optional<ExecSizeProblem> problem;
  const std::string& argv0 = service.argv0.empty() ? service.program : service.argv0;
  const auto add = [&](const std::string& text, const char* key, size_t index,
                       const std::string& what) {
    if (text.size() + 1 > kMaxArgString) {
      problem = ExecSizeProblem{
          key, index,
          what + " is " + std::to_string(text.size()) +
              " bytes, more than the kernel takes for one (" +
              std::to_string(kMaxArgString - 1) + ", MAX_ARG_STRLEN)"};
      return false;
    }
    total += text.size() + 1 + sizeof(char*);
    return true;
  };
  if (!add(argv0, "argv0", 0, "argv0")) return problem;
  for (size_t i = 0; i < service.args.size(); ++i)
    if (!add(service.args[i], "args", i, "argument " + std::to_string(i + 1))) return problem;
  for (const auto& [name, value] : service.env)
    if (!add(name + "=" + value, "env", 0, "variable " + name)) return problem;
  const size_t limit = static_cast<size_t>(std::max(sysconf(_SC_ARG_MAX), 4096L));
  if (total <= limit) return std::nullopt;
  return ExecSizeProblem{
      !service.args.empty() ? "args" : !service.env.empty() ? "env" : "argv0", 0,
      "the program's arguments and environment take " + std::to_string(total) +
          " bytes, more than the kernel's limit of " + std::to_string(limit) +
          " (ARG_MAX)"};
}

}  // namespace superd
