// SPDX-License-Identifier: Apache-2.0
// Ticket sales per movie with Reel's typed API: the same ticket events feed three processors,
// one per window kind, as three Atlas Stream Processing pipelines would:
//   1. a 30-second tumbling total of amountPaid per movie, allowed lateness 1 minute;
//   2. a 20-minute hopping window every 10 minutes summing ticketCount per movie;
//   3. a session window per customer (gap 5 minutes) counting purchases and tickets.
// Events arrive slightly out of order; two arrive too late for some windows and go to the dead
// letter handler. Everything is deterministic: event time comes from the tickets themselves.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <reel/reel.hpp>

using namespace std::chrono_literals;

// A ticket purchase. The field names follow the documents of the Atlas example.
struct ticket {
  std::string movie;
  double amountPaid;
  int ticketCount;
  std::string customer;
  reel::timestamp ts;
};

// Tickets in arrival order; times are offsets from 20:00:00 UTC.
const reel::timestamp base = reel::parse_iso8601("2024-08-12T20:00:00Z").value();
const std::vector<ticket> tickets = {
    {"Dune", 24.00, 2, "alice", base + 5s},
    {"Barbie", 11.50, 1, "bob", base + 12s},
    {"Dune", 12.00, 1, "carol", base + 28s},
    {"Oppenheimer", 37.50, 3, "dave", base + 41s},
    {"Barbie", 23.00, 2, "bob", base + 47s},
    {"Dune", 12.00, 1, "alice", base + 1min + 10s},
    {"Oppenheimer", 12.50, 1, "carol", base + 55s},  // out of order, within the lateness
    {"Barbie", 23.00, 2, "erin", base + 2min + 40s},
    {"Oppenheimer", 25.00, 2, "bob", base + 3min + 5s},
    {"Dune", 12.00, 1, "dave", base + 50s},  // late for the 30 s window [20:00:30, 20:01:00)
    {"Dune", 24.00, 2, "alice", base + 7min + 30s},
    {"Barbie", 11.50, 1, "carol", base + 9min + 10s},
    {"Oppenheimer", 50.00, 4, "erin", base + 12min},
    {"Barbie", 23.00, 2, "dave", base + 9min + 45s},  // late: misses [19:50, 20:10) when hopping
    {"Dune", 36.00, 3, "bob", base + 13min + 20s},
    {"Dune", 12.00, 1, "alice", base + 18min + 30s},
    {"Barbie", 23.00, 2, "carol", base + 24min + 10s},
    {"Oppenheimer", 12.50, 1, "bob", base + 31min},
};

// "[20:00:00, 20:00:30)" in full ISO-8601.
std::string bounds(reel::timestamp start, reel::timestamp end) {
  return fmt::format("[{}, {})", reel::format_iso8601(start), reel::format_iso8601(end));
}

// A late ticket: the dead letter record says which windows it missed.
void print_dead_letter(const reel::dead_letter<ticket>& d) {
  std::string missed;
  for (reel::timestamp start : d.missed_window_starts)
    missed += (missed.empty() ? "" : ", ") + reel::format_iso8601(start);
  fmt::print("  DLQ {}: {}'s {} ticket at {}: {} Missed windows starting [{}]\n", d.operator_name,
             d.event.customer, d.event.movie, reel::format_iso8601(d.event_time), d.reason, missed);
}

// Feeds every ticket to a processor, ends the input (flush closes what is still open) and prints
// the counters.
template <class Processor>
void feed(Processor& proc) {
  proc.on_dead_letter(print_dead_letter);
  for (const ticket& t : tickets)
    proc.push(t);
  proc.flush();
  const reel::processor_stats s = proc.stats();
  fmt::print("  {} tickets in, {} results out, {} late, {} partially late\n\n", s.counters.input,
             s.counters.output, s.counters.late, s.counters.partially_late);
}

int main() {
  // Every pipeline starts from the same typed source: events of type `ticket`, event time `ts`.
  const auto tickets_source = reel::from<ticket>(reel::event_time(&ticket::ts));

  // 1. $tumblingWindow: revenue per movie every 30 seconds. A window closes once the watermark
  //    (the latest ticket time) is a minute past its end, so tickets up to a minute late count.
  fmt::print("Revenue per movie, 30 s tumbling window, 1 min allowed lateness\n");
  auto revenue = reel::make_processor(
      tickets_source |
      reel::tumbling_window({.interval = 30s, .allowed_lateness = 1min},
                            reel::group(&ticket::movie, reel::sum(&ticket::amountPaid))) |
      reel::emit([](const auto& r) {
        const auto [amount] = r.values;
        fmt::print("  {} {:<12} {:>7.2f}\n", bounds(r.start, r.end), r.key, amount);
      }));
  feed(revenue);

  // 2. $hoppingWindow: tickets sold per movie over the last 20 minutes, every 10 minutes. Each
  //    ticket counts in two windows; the engine keeps one partial sum per 10-minute slice and
  //    combines slices when a window closes. Allowed lateness is Atlas's default, 3 seconds.
  fmt::print("Tickets per movie, 20 min hopping window every 10 min\n");
  auto tickets_sold = reel::make_processor(
      tickets_source |
      reel::hopping_window({.interval = 20min, .hop = 10min},
                           reel::group(&ticket::movie, reel::sum(&ticket::ticketCount))) |
      reel::emit([](const auto& r) {
        const auto [count] = r.values;
        fmt::print("  {} {:<12} {:>3}\n", bounds(r.start, r.end), r.key, count);
      }));
  feed(tickets_sold);

  // 3. $sessionWindow: a customer's visit lasts while purchases are less than 5 minutes apart.
  //    The session is [first purchase, last purchase + gap); its partition is the customer.
  fmt::print("Visits per customer, session window with a 5 min gap\n");
  auto visits = reel::make_processor(
      tickets_source |
      reel::session_window({.gap = 5min}, &ticket::customer,
                           reel::group_all(reel::count(), reel::sum(&ticket::ticketCount))) |
      reel::emit([](const auto& r) {
        const auto [purchases, count] = r.values;
        fmt::print("  {} {:<6} purchases {}, tickets {}\n", bounds(r.start, r.end), r.partition,
                   purchases, count);
      }));
  feed(visits);
}
