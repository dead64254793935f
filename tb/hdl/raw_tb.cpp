// Plain Verilator C++ testbench for any edgebench core: the "raw" yardstick of simulation speed.
//
// Built by tb/rawsim.py (`verilator --cc --exe --build --prefix Vtop ... -CFLAGS -DRAW_BUS_WIDTH=<BUS_WIDTH>`).
// One source serves every core: the port types (CData/SData/IData/QData or VlWide<N>) are read from Vtop.h.
//
//   raw_tb +beats=<file> +results=<file> [+max_cycles=N]
//
// beats file:   one input beat per line, hex digits without prefix, value = (in_last << BUS_WIDTH) | in_data,
//               the vectors back to back.
// results file: one line per result: `<class>` or, when the core has out_scores, `<class> <out_scores hex>`.
// stdout:       one JSON line {"cycles": N, "seconds": S, "results": N, "timeout": bool}.
//
// All beats are loaded before the clock starts; only the streaming loop is timed (steady_clock). The core is
// held in reset (rst_n low) for 4 cycles, then in_valid is high while a beat remains and out_ready is always 1,
// until every vector's result arrived (one per beat with in_last) or max_cycles cycles passed.
// Each cycle: clk=0, eval (settles the inputs driven for this edge), sample valid & ready, clk=1, eval (the
// edge), then drive the inputs for the next edge. A beat / result is transferred on the edge where valid and
// ready were both high just before it.

#include "Vtop.h"
#include "verilated.h"

#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef RAW_BUS_WIDTH
#error "compile with -DRAW_BUS_WIDTH=<the core's BUS_WIDTH parameter>"
#endif

namespace {

constexpr unsigned kBusWidth = RAW_BUS_WIDTH;
static_assert(kBusWidth >= 1, "RAW_BUS_WIDTH must be >= 1");
constexpr unsigned kBeatWords = (kBusWidth + 1 + 31) / 32;  // in_data plus the in_last bit, 32-bit words
constexpr std::uint64_t kDefaultMaxCycles = 1000000000ULL;
constexpr int kResetCycles = 4;

template <class T>
using Bare = std::remove_cv_t<std::remove_reference_t<T>>;

template <class T>
constexpr bool kIsWide = VlIsVlWide<T>::value;

// Bits held by a port's C type.
template <class T>
constexpr unsigned type_bits() {
    if constexpr (kIsWide<T>) {
        return static_cast<unsigned>(T::Words) * 32U;
    } else {
        static_assert(std::is_integral_v<T> && std::is_unsigned_v<T>, "unexpected Verilator port type");
        return static_cast<unsigned>(sizeof(T)) * 8U;
    }
}

// The C type Verilator picks for a port of `width` bits, in bits.
constexpr unsigned verilator_type_bits(unsigned width) {
    if (width <= 8) return 8;
    if (width <= 16) return 16;
    if (width <= 32) return 32;
    if (width <= 64) return 64;
    return (width + 31) / 32 * 32;
}

// Does the model have an out_scores port?
template <class Top, class = void>
struct HasScores : std::false_type {};
template <class Top>
struct HasScores<Top, std::void_t<decltype(std::declval<Top&>().out_scores)>> : std::true_type {};

// 32-bit words a port value is stored in.
template <class T>
constexpr std::size_t words_of() {
    if constexpr (kIsWide<T>) {
        return T::Words;
    } else {
        return sizeof(T) > 4 ? 2 : 1;
    }
}

struct Options {
    std::string beats;
    std::string results;
    std::uint64_t max_cycles = kDefaultMaxCycles;
};

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "raw_tb: %s\n", message.c_str());
    std::exit(1);
}

Options parse_args(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("+beats=", 0) == 0) {
            opt.beats = arg.substr(7);
        } else if (arg.rfind("+results=", 0) == 0) {
            opt.results = arg.substr(9);
        } else if (arg.rfind("+max_cycles=", 0) == 0) {
            const std::string value = arg.substr(12);
            char* end = nullptr;
            errno = 0;
            const unsigned long long parsed = std::strtoull(value.c_str(), &end, 10);
            if (value.empty() || end == nullptr || *end != '\0' || errno != 0 || parsed == 0) {
                fail("bad +max_cycles=" + value + " (a positive integer)");
            }
            opt.max_cycles = parsed;
        }  // anything else is left to the model ($test$plusargs / $value$plusargs)
    }
    if (opt.beats.empty() || opt.results.empty()) {
        fail("usage: raw_tb +beats=<file> +results=<file> [+max_cycles=N]");
    }
    return opt;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One beat, parsed: in_data as little-endian 32-bit words (bits >= kBusWidth zero) and in_last.
struct RawBeat {
    std::uint32_t words[kBeatWords];
    bool last;
};

bool parse_beat(const char* text, std::size_t length, RawBeat& beat) {
    std::memset(beat.words, 0, sizeof(beat.words));
    std::size_t bit = 0;
    for (std::size_t k = length; k-- > 0;) {  // least significant digit last
        const int nibble = hex_digit(text[k]);
        if (nibble < 0) return false;
        for (int b = 0; b < 4; ++b, ++bit) {
            if (((static_cast<unsigned>(nibble) >> b) & 1U) == 0U) continue;
            if (bit > kBusWidth) return false;  // wider than in_last + in_data
            beat.words[bit / 32] |= 1U << (bit % 32);
        }
    }
    if (length == 0) return false;
    beat.last = ((beat.words[kBusWidth / 32] >> (kBusWidth % 32)) & 1U) != 0U;
    beat.words[kBusWidth / 32] &= ~(1U << (kBusWidth % 32));
    return true;
}

std::vector<RawBeat> load_beats(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) fail("cannot open beats file " + path);
    std::vector<RawBeat> beats;
    std::string line;
    std::size_t line_no = 0;
    bool done = false;
    while (!done) {
        line.clear();
        int c = 0;
        while ((c = std::fgetc(file)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
        done = c == EOF;
        ++line_no;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        if (line.empty()) continue;
        RawBeat beat{};
        if (!parse_beat(line.data(), line.size(), beat)) {
            std::fclose(file);
            fail(path + ":" + std::to_string(line_no) + ": not a hex beat of at most " +
                 std::to_string(kBusWidth + 1) + " bits: " + line.substr(0, 80));
        }
        beats.push_back(beat);
    }
    std::fclose(file);
    return beats;
}

template <class T>
T to_port(const RawBeat& beat) {
    if constexpr (kIsWide<T>) {
        T value{};
        for (std::size_t i = 0; i < T::Words; ++i) value.at(i) = i < kBeatWords ? beat.words[i] : 0U;
        return value;
    } else {
        std::uint64_t value = beat.words[0];
        if constexpr (kBeatWords > 1) value |= static_cast<std::uint64_t>(beat.words[1]) << 32;
        return static_cast<T>(value);  // bits >= kBusWidth are zero, and kBusWidth fits T (static_assert)
    }
}

template <class T>
void append_words(std::vector<std::uint32_t>& out, const T& value) {
    if constexpr (kIsWide<T>) {
        for (std::size_t i = 0; i < T::Words; ++i) out.push_back(value.at(i));
    } else {
        const std::uint64_t wide = value;
        out.push_back(static_cast<std::uint32_t>(wide));
        if constexpr (sizeof(T) > 4) out.push_back(static_cast<std::uint32_t>(wide >> 32));
    }
}

template <class Top>
int run(Top& top, const Options& opt) {
    using InT = Bare<decltype(top.in_data)>;
    using ClassT = Bare<decltype(top.out_class)>;
    static_assert(verilator_type_bits(kBusWidth) == type_bits<InT>(),
                  "RAW_BUS_WIDTH does not match the width of in_data in Vtop.h");
    static_assert(std::is_integral_v<ClassT>, "out_class wider than 64 bits");
    constexpr bool kScores = HasScores<Top>::value;

    // Everything the loop reads is in memory before the clock starts.
    const std::vector<RawBeat> raw = load_beats(opt.beats);
    std::vector<InT> data;
    std::vector<std::uint8_t> last;
    data.reserve(raw.size());
    last.reserve(raw.size());
    std::size_t expected = 0;
    for (const RawBeat& beat : raw) {
        data.push_back(to_port<InT>(beat));
        last.push_back(beat.last ? 1 : 0);
        expected += beat.last ? 1 : 0;
    }
    const std::size_t n_beats = data.size();

    std::vector<std::uint32_t> classes;
    std::vector<std::uint32_t> scores;
    std::size_t score_words = 0;
    classes.reserve(expected);
    if constexpr (kScores) {
        score_words = words_of<Bare<decltype(top.out_scores)>>();
        scores.reserve(expected * score_words);
    }

    // Reset: rst_n low for kResetCycles rising edges, nothing offered, results always taken.
    top.rst_n = 0;
    top.in_valid = 0;
    top.in_last = 0;
    top.in_data = InT{};
    top.out_ready = 1;
    for (int i = 0; i < kResetCycles; ++i) {
        top.clk = 0;
        top.eval();
        top.clk = 1;
        top.eval();
    }
    top.rst_n = 1;

    std::size_t next = 0;  // beat on the bus
    auto drive = [&]() {
        if (next < n_beats) {
            top.in_valid = 1;
            top.in_data = data[next];
            top.in_last = last[next];
        } else {
            top.in_valid = 0;
            top.in_last = 0;
        }
    };
    drive();

    std::uint64_t cycles = 0;
    std::size_t got = 0;
    const auto start = std::chrono::steady_clock::now();
    while (got < expected && cycles < opt.max_cycles) {
        top.clk = 0;
        top.eval();
        const bool in_fire = top.in_valid != 0 && top.in_ready != 0;
        const bool out_fire = top.out_valid != 0 && top.out_ready != 0;
        if (out_fire) {
            classes.push_back(static_cast<std::uint32_t>(top.out_class));
            if constexpr (kScores) append_words(scores, top.out_scores);
        }
        top.clk = 1;
        top.eval();
        ++cycles;
        if (out_fire) ++got;
        if (in_fire) {
            ++next;
            drive();
        }
    }
    const auto stop = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(stop - start).count();
    const bool timeout = got < expected;
    top.final();

    std::FILE* out = std::fopen(opt.results.c_str(), "wb");
    if (out == nullptr) fail("cannot write results file " + opt.results);
    for (std::size_t r = 0; r < got; ++r) {
        std::fprintf(out, "%" PRIu32, classes[r]);
        if constexpr (kScores) {
            std::fputc(' ', out);
            for (std::size_t w = score_words; w-- > 0;) std::fprintf(out, "%08" PRIx32, scores[r * score_words + w]);
        }
        std::fputc('\n', out);
    }
    if (std::fclose(out) != 0) fail("cannot write results file " + opt.results);

    std::printf("{\"cycles\": %" PRIu64 ", \"seconds\": %.9f, \"results\": %zu, \"timeout\": %s}\n", cycles, seconds,
                got, timeout ? "true" : "false");
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse_args(argc, argv);
    const std::unique_ptr<VerilatedContext> context{new VerilatedContext};
    context->commandArgs(argc, argv);  // so $value$plusargs in the model sees the command line too
    const std::unique_ptr<Vtop> top{new Vtop{context.get(), "TOP"}};
    return run(*top, opt);
}
