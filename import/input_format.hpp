// What superd-import reads, and the one entry point per input format. A
// new format (inetd.conf's, next) is a value of InputFormat, a test in
// DetectFormat and a case in Import; the table it returns is written the
// same way whatever it came from.
#pragma once

#include <optional>
#include <string>

#include "import_system.hpp"
#include "imported_table.hpp"

namespace superd::import {

enum class InputFormat { kXinetd, kInetdConf };

// A directory is an xinetd.d; a file is xinetd configuration when it has
// `service NAME`, `defaults`, `include`/`includedir` or `{` lines
// (LooksLikeXinetdConf), and inetd.conf otherwise. Nothing, with `error`
// set, when `path` cannot be read.
std::optional<InputFormat> DetectFormat(const std::string& path, std::string& error);

struct ImportOptions {
  std::string services_dir;  // superd's sample services (xinetd's INTERNAL ones)
};

// The table read from `path` as `format`: services and messages, or
// errors only (then ok() is false).
ImportedTable Import(InputFormat format, const std::string& path, const ImportOptions& options,
                     const ImportSystem& system = RealImportSystem());

}  // namespace superd::import
