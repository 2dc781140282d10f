// XinetdConf: the grammar of xinetd's configuration, as xinetd.conf(5) and
// Debian's xinetd 2.3.15 read it: `service NAME` and `defaults` blocks of
// attribute operations (`=`, `+=`, `-=`), with `include FILE` and
// `includedir DIR` between blocks, followed where they stand. Only the
// grammar: which attributes exist and what they mean is superd-import's
// business (import/xinetd_import). Files are read through XinetdFiles, so
// tests need no file system. Never throws, never prints: every problem is
// a message with its FILE:LINE, and reading goes on after an error so
// that one run reports all of them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace superd {

// Where something is: the file as it was named (the command line's path,
// or an include's, made absolute against the including file's directory)
// and its 1-based line.
struct XinetdPosition {
  std::string file;
  int line = 0;
  bool operator==(const XinetdPosition&) const = default;
};

enum class XinetdOperator { kSet, kAdd, kRemove };  // =, +=, -=

// One line `name OP value value ...` of a block. Values are the words of
// the rest of the line, split at blanks; a `#` inside a line is part of a
// word, as in xinetd.
struct XinetdAttribute {
  std::string name;
  XinetdOperator op = XinetdOperator::kSet;
  std::vector<std::string> values;
  XinetdPosition position;
};

struct XinetdBlock {
  bool defaults = false;    // `defaults` rather than `service NAME`
  std::string name;         // the service's name; empty for `defaults`
  XinetdPosition position;  // of its `service` or `defaults` line
  std::vector<XinetdAttribute> attributes;  // in file order
};

// "FILE:LINE: error: TEXT" or "FILE:LINE: warning: TEXT".
struct XinetdMessage {
  XinetdPosition position;
  std::string text;
  bool warning = false;
  std::string Format() const;
};

struct XinetdConfig {
  std::vector<XinetdBlock> blocks;      // in the order xinetd reads them
  std::vector<std::string> files;       // every file read, in that order
  std::vector<XinetdMessage> messages;  // errors and warnings, as found
  bool ok() const;                      // no error among the messages
};

// The file system as the reader sees it.
class XinetdFiles {
 public:
  enum class Kind { kMissing, kRegular, kDirectory, kOther };
  virtual ~XinetdFiles() = default;
  // What `path` is (following symbolic links); kMissing with `error` set
  // when it cannot be known.
  virtual Kind Stat(const std::string& path, std::string& error) = 0;
  // A regular file's contents; false with `error` (strerror) when not.
  virtual bool Read(const std::string& path, std::string& text, std::string& error) = 0;
  // The names in a directory, "." and ".." left out, in no order.
  virtual bool List(const std::string& dir, std::vector<std::string>& names,
                    std::string& error) = 0;
};

// The real file system.
XinetdFiles& RealXinetdFiles();

// Reads `path`: an xinetd.conf (with the files it includes), one xinetd.d
// file, or a directory, read as `includedir` reads one.
XinetdConfig ReadXinetdConf(const std::string& path, XinetdFiles& files = RealXinetdFiles());

// Whether `includedir` reads a file of this name: not one with a '.' in
// it (editors' and package managers' copies: foo.dpkg-old, .foo.swp) nor
// one ending in '~'.
bool XinetdIncludedirReads(std::string_view name);

// Whether `text` reads as xinetd configuration rather than inetd.conf: a
// line (not a comment) that is `service NAME`, `defaults`, `include FILE`,
// `includedir DIR` or a lone `{`.
bool LooksLikeXinetdConf(std::string_view text);

}  // namespace superd
