#include "engine/fast/op_profile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "engine/fast/op_names.h"

namespace wasmlet::detail::fast::op_profile {

namespace {

constexpr size_t kOps = size_t(Op::count_);
constexpr size_t kShown = 60;

struct Profile {
  std::unordered_map<const void*, uint32_t> op_of;
  std::vector<uint64_t> singles = std::vector<uint64_t>(kOps);
  std::vector<uint64_t> pairs = std::vector<uint64_t>(kOps * kOps);
  uint32_t previous = uint32_t(kOps);
  // Instruction address -> its op and runs (the code may be freed before exit).
  std::unordered_map<const void*, std::pair<uint32_t, uint64_t>> sites;

  Profile() {
    const void* const* handlers = handler_table();
    for (uint32_t i = 0; i < kOps; ++i) op_of.emplace(handlers[i], i);
  }
};

Profile* g_profile = nullptr;

void print_top(const char* title, const std::vector<uint64_t>& counts, uint64_t total, bool as_pairs) {
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < counts.size(); ++i)
    if (counts[i]) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return counts[a] > counts[b]; });
  std::fprintf(stderr, "%s (of %llu)\n", title, static_cast<unsigned long long>(total));
  for (size_t k = 0; k < std::min(order.size(), kShown); ++k) {
    const uint32_t i = order[k];
    const double percent = 100.0 * double(counts[i]) / double(total ? total : 1);
    if (as_pairs)
      std::fprintf(stderr, "  %6.2f%%  %s ; %s\n", percent, op_name(Op(i / kOps)), op_name(Op(i % kOps)));
    else
      std::fprintf(stderr, "  %6.2f%%  %s\n", percent, op_name(Op(i)));
  }
}

// The hottest instructions in code order: runs of neighbouring addresses
// are the guest's hot loops, as the translator laid them out.
void print_sites(uint64_t total) {
  std::vector<std::pair<const void*, std::pair<uint32_t, uint64_t>>> hot;
  for (const auto& [at, site] : g_profile->sites)
    if (double(site.second) >= 0.001 * double(total)) hot.emplace_back(at, site);
  std::sort(hot.begin(), hot.end());
  std::fprintf(stderr, "wasmlet instruction profile: instructions run >= 0.1%% each, in code order\n");
  const char* previous = nullptr;
  for (const auto& [at, site] : hot) {
    const auto [op, count] = site;
    const char* here = static_cast<const char*>(at);
    if (previous && here - previous > 64) std::fprintf(stderr, "  --\n");
    previous = here;
    std::fprintf(stderr, "  %p %6.2f%%  %s\n", at, 100.0 * double(count) / double(total), op_name(Op(op)));
  }
}

void print() {
  uint64_t total = 0;
  for (uint64_t c : g_profile->singles) total += c;
  print_top("wasmlet instruction profile: instructions", g_profile->singles, total, false);
  print_top("wasmlet instruction profile: consecutive pairs", g_profile->pairs, total, true);
  print_sites(total);
}

}  // namespace

void step(const void* const* instruction) {
  const void* handler = *instruction;
  if (!g_profile) {
    g_profile = new Profile;
    std::atexit(print);
  }
  Profile& p = *g_profile;
  const auto it = p.op_of.find(handler);
  if (it == p.op_of.end()) return;
  const uint32_t op = it->second;
  ++p.singles[op];
  if (p.previous < kOps) ++p.pairs[size_t(p.previous) * kOps + op];
  p.previous = op;
  auto& site = p.sites[instruction];
  site.first = op;
  ++site.second;
}

}  // namespace wasmlet::detail::fast::op_profile
