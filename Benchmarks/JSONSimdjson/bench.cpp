// The simdjson floor for scripts/bench-json: parses each document with simdjson's DOM API and
// with its On-Demand API, visits every value (so On-Demand does the same work as a DOM parse),
// and prints one JSON line per document and mode with the best time per document (thread CPU
// time) and the document's checksum. The checksum (value, string, member and element counts, string bytes)
// is the same one the Swift side computes, and every timed parse is checked against it.
//
//   bench <seconds-per-measurement> <file>...
// A file ending in .ndjson holds one document per line, parsed one by one (an SSE stream's
// chunks); its time is the time for all lines.
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace simdjson;

struct Checksum {
    uint64_t values = 0, strings = 0, members = 0, elements = 0, string_bytes = 0;
    bool operator==(const Checksum &o) const {
        return values == o.values && strings == o.strings && members == o.members && elements == o.elements &&
               string_bytes == o.string_bytes;
    }
    void add(const Checksum &o) {
        values += o.values;
        strings += o.strings;
        members += o.members;
        elements += o.elements;
        string_bytes += o.string_bytes;
    }
};

static void walk_dom(dom::element e, Checksum &c) {
    c.values++;
    switch (e.type()) {
    case dom::element_type::ARRAY:
        for (dom::element child : dom::array(e)) {
            c.elements++;
            walk_dom(child, c);
        }
        break;
    case dom::element_type::OBJECT:
        for (dom::key_value_pair field : dom::object(e)) {
            c.members++;
            c.string_bytes += field.key.size();
            walk_dom(field.value, c);
        }
        break;
    case dom::element_type::STRING:
        c.strings++;
        c.string_bytes += std::string_view(e).size();
        break;
    default:
        break;
    }
}

// On-Demand: every value is materialised (strings unescaped, numbers parsed), as a DOM parse does.
static bool walk_ondemand(ondemand::value v, Checksum &c) {
    c.values++;
    ondemand::json_type type;
    if (v.type().get(type)) return false;
    switch (type) {
    case ondemand::json_type::array: {
        ondemand::array array;
        if (v.get_array().get(array)) return false;
        for (auto child : array) {
            ondemand::value value;
            if (child.get(value)) return false;
            c.elements++;
            if (!walk_ondemand(value, c)) return false;
        }
        return true;
    }
    case ondemand::json_type::object: {
        ondemand::object object;
        if (v.get_object().get(object)) return false;
        for (auto field : object) {
            std::string_view key;
            if (field.unescaped_key().get(key)) return false;
            c.members++;
            c.string_bytes += key.size();
            ondemand::value value;
            if (field.value().get(value)) return false;
            if (!walk_ondemand(value, c)) return false;
        }
        return true;
    }
    case ondemand::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return false;
        c.strings++;
        c.string_bytes += s.size();
        return true;
    }
    case ondemand::json_type::number: {
        ondemand::number n;
        return !v.get_number().get(n);
    }
    case ondemand::json_type::boolean: {
        bool b;
        return !v.get_bool().get(b);
    }
    case ondemand::json_type::null:
        return v.is_null();
    }
    return false;
}

// Thread CPU time, not wall time: on a shared machine a long measurement is descheduled more
// often than a short one, and wall time would make large documents look slower per byte.
static double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

static std::vector<std::string> documents(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    std::vector<std::string> docs;
    if (path.size() > 7 && path.compare(path.size() - 7, 7, ".ndjson") == 0) {
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line))
            if (!line.empty()) docs.push_back(line);
    } else {
        docs.push_back(text);
    }
    return docs;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench <seconds> <file>...\n");
        return 2;
    }
    double budget = std::atof(argv[1]);
    dom::parser dom_parser;
    ondemand::parser od_parser;
    int failures = 0;
    for (int a = 2; a < argc; a++) {
        std::string path = argv[a];
        std::vector<std::string> docs = documents(path);
        std::vector<padded_string> padded;
        size_t bytes = 0;
        for (auto &d : docs) {
            padded.emplace_back(d);
            bytes += d.size();
        }
        for (int mode = 0; mode < 2; mode++) {
            const char *name = mode == 0 ? "simdjson-dom" : "simdjson-ondemand";
            Checksum expected;
            bool have_expected = false, ok = bytes > 0;
            double best = 1e30;
            int iterations = 0;
            // One timed sample repeats the document `reps` times, so that a sample of a small
            // document lasts long enough (~2 ms) for the clock; every repetition is checked.
            int reps = 1;
            auto run = [&](int count) -> double {
                double t0 = cpu_seconds();
                for (int r = 0; r < count && ok; r++) {
                    Checksum total;
                    for (auto &p : padded) {
                        Checksum c;
                        if (mode == 0) {
                            dom::element root;
                            if (dom_parser.parse(p).get(root)) {
                                ok = false;
                                break;
                            }
                            walk_dom(root, c);
                        } else {
                            // (Every benchmark document is an object or array, never a scalar.)
                            ondemand::document doc;
                            ondemand::value root;
                            if (od_parser.iterate(p).get(doc) || doc.get_value().get(root) || !walk_ondemand(root, c)) {
                                ok = false;
                                break;
                            }
                        }
                        total.add(c);
                    }
                    if (!have_expected) {
                        expected = total;
                        have_expected = true;
                    } else if (!(total == expected)) {
                        ok = false;
                    }
                }
                return cpu_seconds() - t0;
            };
            if (ok) {
                double once = run(16) / 16;
                if (once < 0.002) reps = std::max(1, int(0.002 / std::max(once, 1e-9)));
            }
            double started = cpu_seconds();
            // At least 5 samples, then until the time budget is spent.
            while (ok && (iterations < 5 || cpu_seconds() - started < budget)) {
                double t = run(reps) / reps;
                if (!ok) break;
                best = std::min(best, t);
                iterations++;
            }
            if (!ok) failures++;
            std::printf(
                "{\"impl\":\"%s\",\"file\":\"%s\",\"bytes\":%zu,\"documents\":%zu,\"ok\":%s,\"iterations\":%d,"
                "\"bestSeconds\":%.9g,\"checksum\":[%llu,%llu,%llu,%llu,%llu]}\n",
                name, path.c_str(), bytes, docs.size(), ok ? "true" : "false", iterations, ok ? best : 0.0,
                (unsigned long long)expected.values, (unsigned long long)expected.strings,
                (unsigned long long)expected.members, (unsigned long long)expected.elements,
                (unsigned long long)expected.string_bytes);
            std::fflush(stdout);
        }
    }
    return failures == 0 ? 0 : 1;
}
