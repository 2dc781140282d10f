#include "diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace superd {

void Diagnostics::Error(Position position, std::string message) {
  for (const Diagnostic& d : errors_) {
    if (d.position.line == position.line &&
        d.position.column == position.column && d.message == message)
      return;
  }
  errors_.push_back({position, std::move(message)});
}

std::string Diagnostics::Format(const Diagnostic& d) const {
  std::string out = file_;
  if (d.position.line > 0) {
    out += ":" + std::to_string(d.position.line) + ":" +
           std::to_string(d.position.column);
  }
  return out + ": error: " + d.message;
}

std::string Diagnostics::FormatAll() const {
  std::vector<Diagnostic> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) {
    return std::tie(a.position.line, a.position.column) <
           std::tie(b.position.line, b.position.column);
  });
  std::string out;
  for (const Diagnostic& d : sorted) out += Format(d) + "\n";
  return out;
}

}  // namespace superd
