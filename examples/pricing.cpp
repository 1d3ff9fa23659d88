// SPDX-License-Identifier: Apache-2.0
// Enrichment with an in-process function: each ticket asks a pricing function (registered by the
// application, as a local pricing service would answer) for its price, then a 30-second tumbling
// window sums the revenue per movie. The function answers on its own thread, in whatever order it
// likes; Reel keeps up to 16 calls in flight and releases the tickets in input order, so the
// windows are exactly those of a pipeline that priced each ticket on the spot. A ticket the
// function cannot price goes to the dead letter queue with the reason.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include <reel/json.hpp>

using reel::json::document;

int main() {
  // The "pricing service": a thread answering the calls queued for it, newest first.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::pair<document, reel::function_completion>> calls;
  bool done = false;
  std::thread service([&] {
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return done || !calls.empty(); });
      if (calls.empty()) return;
      auto [ticket, answer] = std::move(calls.back());
      calls.pop_back();
      lock.unlock();
      const double base = ticket["movie"] == "Oppenheimer" ? 15.0 : 12.5;
      if (ticket["seats"].get<int>() > 8) {
        answer.fail("no group price for " + ticket["seats"].dump() + " seats");
      } else {
        answer(document{{"amount", base * ticket["seats"].get<int>()}, {"currency", "EUR"}});
      }
      lock.lock();
    }
  });

  reel::connection_registry connections;
  connections.register_function(
      "pricing", "price", [&](const document& ticket, reel::function_completion answer) {
        {
          std::lock_guard lock(mutex);
          calls.emplace_back(ticket, std::move(answer));  // the argument is copied
        }
        wake.notify_all();
      });

  const document pipeline = reel::json::parse_pipeline_text(R"([
    { $source: { timeField: { $dateFromString: { dateString: '$ts' } } } },
    { $externalFunction: { connectionName: 'pricing', functionName: 'price', as: 'price',
        payload: [ { $project: { _id: 0, movie: 1, seats: 1 } } ], parallelism: 16 } },
    { $tumblingWindow: { interval: { size: 30, unit: 'second' }, allowedLateness: 0,
        pipeline: [ { $group: { _id: '$movie', revenue: { $sum: '$price.amount' }, tickets: { $sum: '$seats' } } },
                    { $sort: { _id: 1 } } ] } }
  ])");
  {
    reel::json::stream_processor sp(pipeline, connections,
                                    {.name = "pricing", .stream_meta = false});
    sp.on_output([](const document& d) { fmt::print("{}\n", d.dump()); });
    sp.on_dead_letter([](const document& d) {
      fmt::print("DLQ {}: {}\n", d["doc"]["movie"].get<std::string>(),
                 d["errInfo"]["reason"].get<std::string>());
    });
    const char* tickets[][3] = {{"Dune", "2", "20:00:05"},        {"Barbie", "1", "20:00:12"},
                                {"Oppenheimer", "3", "20:00:21"}, {"Dune", "12", "20:00:25"},
                                {"Dune", "1", "20:00:31"},        {"Oppenheimer", "2", "20:00:44"},
                                {"Barbie", "4", "20:00:58"},      {"Dune", "2", "20:01:07"}};
    for (const auto& t : tickets) {
      sp.push(document{{"movie", t[0]},
                       {"seats", std::stoi(t[1])},
                       {"ts", std::string("2024-08-12T") + t[2] + "Z"}});
    }
    sp.flush();  // waits for the calls in flight, then closes the last windows
    const document stats = sp.stats()["enrichment"][0];
    fmt::print("calls {} errors {} in flight {}\n", stats["calls"].get<int>(),
               stats["errors"].get<int>(), stats["inFlight"].get<int>());
  }
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  wake.notify_all();
  service.join();
}
