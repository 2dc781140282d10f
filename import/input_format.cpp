#include "input_format.hpp"

#include "inetd_import.hpp"
#include "xinetd_conf.hpp"
#include "xinetd_import.hpp"

namespace superd::import {

std::optional<InputFormat> DetectFormat(const std::string& path, std::string& error) {
  XinetdFiles& files = RealXinetdFiles();
  switch (files.Stat(path, error)) {
    case XinetdFiles::Kind::kDirectory: return InputFormat::kXinetd;
    case XinetdFiles::Kind::kRegular: break;
    case XinetdFiles::Kind::kMissing: return std::nullopt;
    case XinetdFiles::Kind::kOther:
      error = "neither a regular file nor a directory";
      return std::nullopt;
  }
  std::string text;
  if (!files.Read(path, text, error)) return std::nullopt;
  return LooksLikeXinetdConf(text) ? InputFormat::kXinetd : InputFormat::kInetdConf;
}

ImportedTable Import(InputFormat format, const std::string& path, const ImportOptions& options,
                     const ImportSystem& system) {
  switch (format) {
    case InputFormat::kXinetd:
      return ImportXinetd(path, ReadXinetdConf(path), system, {options.services_dir});
    case InputFormat::kInetdConf:
      return ImportInetdConf(path, options.services_dir);
  }
  return {};
}

}  // namespace superd::import
