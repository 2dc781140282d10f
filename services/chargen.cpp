// chargen - the Character Generator Protocol (RFC 864), a sample service of superd:
// sends 72-character lines rotating through the 95 printable ASCII characters,
// each terminated by CRLF, until the client goes away (then exits 0, quietly).
// Line i holds the 72 characters starting at character i mod 95, wrapping around.
// As a udp wait service it answers every datagram that svc::refuse_sender lets
// through with one datagram of a random length between 0 and 512 characters
// cut from that same pattern.
#include <random>

#include "service.hpp"

constexpr size_t line_chars = 72;
constexpr size_t line_len = line_chars + 2;  // with "\r\n"
constexpr size_t printable = 95;             // ' ' .. '~'
constexpr size_t max_datagram = 512;

// One full period of the pattern (95 lines), followed by its first
// max_datagram bytes again so that any window of that size is contiguous.
static std::string make_pattern() {
    std::string out;
    for (size_t i = 0; i < printable; ++i) {
        for (size_t j = 0; j < line_chars; ++j)
            out += static_cast<char>(' ' + (i + j) % printable);
        out += "\r\n";
    }
    return out + out.substr(0, max_datagram);
}

static const std::string pattern = make_pattern();

static void stream() {
    const std::string_view period(pattern.data(), printable * line_len);
    while (svc::write_all(1, period)) {}
}

static svc::Reply reply(std::string_view) {
    static std::mt19937 rng{std::random_device{}()};
    static size_t next_line = 0;
    size_t len = std::uniform_int_distribution<size_t>(0, max_datagram)(rng);
    size_t start = (next_line++ % printable) * line_len;
    return pattern.substr(start, len);
}

int main() { return svc::run("chargen", stream, reply); }
