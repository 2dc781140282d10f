#include "imported_table.hpp"

#include <algorithm>

namespace superd::import {

std::string ImportMessage::Format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  return out + (warning ? ": warning: " : ": error: ") + text;
}

bool ImportedTable::ok() const {
  return std::none_of(messages.begin(), messages.end(),
                      [](const ImportMessage& m) { return !m.warning; });
}

size_t ImportedTable::warnings() const {
  return std::count_if(messages.begin(), messages.end(),
                       [](const ImportMessage& m) { return m.warning; });
}

}  // namespace superd::import
