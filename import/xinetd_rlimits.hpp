// xinetd's rlimit_as, rlimit_cpu, rlimit_data and rlimit_files as
// superd's `rlimits` (as, cpu, data, nofile); rlimit_rss and rlimit_stack,
// which superd has not, are warnings. A value of 0 is xinetd's "leave the
// limit alone", and is left out.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "imported_table.hpp"
#include "xinetd_service.hpp"

namespace superd::import {

// The `rlimits` entries of `service`, in superd.yaml(5)'s order; a
// malformed value is an error in `messages`.
std::vector<std::pair<std::string, std::string>> ImportXinetdRlimits(
    const XinetdService& service, std::vector<ImportMessage>& messages);

}  // namespace superd::import
