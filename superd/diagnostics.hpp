// Diagnostics: problems found in a service table, each with the file it is
// in and its position there (a table may read further files: `include`,
// `inetd_conf`). The loader keeps going after an error so that
// `superd --check` prints every problem in one run. Printed as
// `FILE:LINE:COLUMN: error: MESSAGE`; warnings (what is skipped but does
// not make the table invalid) as `FILE:LINE:COLUMN: warning: MESSAGE`.
#pragma once

#include <string>
#include <vector>

namespace superd {

struct Position {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  // The file, when not the one of the Diagnostics it is reported to (a
  // service's position in another file of the table); not kept.
  const std::string* file = nullptr;
};

struct Diagnostic {
  std::string file;
  Position position;
  std::string message;
  bool warning = false;
};

class Diagnostics {
 public:
  // `file`: the file Error and Warning speak of.
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // Records an error. The same message at the same position is recorded
  // once (a bad `defaults` entry is seen by every service that inherits it).
  void Error(Position position, std::string message);
  void Warning(Position position, std::string message);
  // Takes on every diagnostic of `other` (another file's), keeping its file.
  void Merge(const Diagnostics& other);

  bool empty() const { return errors_.empty(); }  // no error (warnings aside)
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }
  const std::string& file() const { return file_; }

  // "FILE:LINE:COLUMN: error: MESSAGE"
  static std::string Format(const Diagnostic& d);
  // Every error and warning, one per line, sorted by file (in the order
  // they were first named), then position.
  std::string FormatAll() const;

 private:
  void Add(std::vector<Diagnostic>& to, Diagnostic d);

  std::string file_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
  std::vector<std::string> files_;  // in the order first named
};

}  // namespace superd
