// Exec checks: what execve(2) would refuse of a service, found at load by
// every reader of a table (table_loader, inetd_conf) rather than at every
// spawn. Pure but for a stat(2) and access(2) of the program; never logs.
#pragma once

#include <optional>
#include <string>

#include "table.hpp"

namespace superd {

// What is wrong with `path` as a program (missing, not a regular file, not
// executable by superd), or "".
std::string ProgramProblem(const std::string& path);

// A string of argv or the environment longer than the kernel takes for one
// (MAX_ARG_STRLEN), or all of them, with the variables superd adds
// (spawn_plan), beyond ARG_MAX.
struct ExecSizeProblem {
  // Where it is: "argv0", "args" (with `index` into Service::args) or "env";
  // for the sum, "args", else "env", else "argv0", whichever the service has.
  std::string key;
  size_t index = 0;
  std::string message;  // "argument 1 is N bytes, more than ..."
};
std::optional<ExecSizeProblem> CheckExecSize(const Service& service);

}  // namespace superd
