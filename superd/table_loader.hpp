// The only user of yaml-cpp: turns a service table file into a validated,
// immutable ServiceTable, or into the complete list of problems with their
// positions (all of them, not just the first). Resolves host names, service
// ports, users and groups once, here, so that nothing after loading looks
// anything up.
#pragma once

#include <optional>
#include <string>

#include "diagnostics.hpp"
#include "table.hpp"

namespace superd {

struct LoadResult {
  std::optional<ServiceTable> table;  // set exactly when diagnostics is empty
  Diagnostics diagnostics;
};

// Reads and validates the table at `path`.
LoadResult LoadTable(const std::string& path);

// Validates `text` as if it were the contents of `path` (for tests).
LoadResult ParseTable(const std::string& text, const std::string& path);

}  // namespace superd
