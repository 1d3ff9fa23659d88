// SPDX-License-Identifier: Apache-2.0
// A custom source and a custom sink, registered as connection types and used by a JSON
// pipeline by connection name, exactly as the built-in connectors are.
//
//   - `csv_source` reads temperature readings "sensor,celsius,time" from CSV text, one
//     partition per site, and reports each row's line number as its position.
//   - `table_sink` prints one aligned row per window result and refuses results it cannot
//     print; refused documents become DLQ records.
//
// The connections are defined in JSON, as a connections.json file would define them; the token
// comes from the environment ({"$env": ...}) and is never printed.
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <reel/connector/all.hpp>
#include <reel/json.hpp>

using reel::json::document;

// -------------------------------------------------------------------------------------------
// The source: CSV rows in partitions. A source appends messages to `out` in `poll()` and says
// whether more may come; here everything is in memory, so it ends once every row is out.
class csv_source final : public reel::source {
 public:
  /// `sites`: partition name → CSV text with a header line.
  explicit csv_source(std::map<std::string, std::string> sites) {
    std::vector<std::vector<row>> per_site;
    for (const auto& [site, text] : sites) {
      partitions_.push_back(site);
      per_site.emplace_back();
      std::istringstream in(text);
      std::string line;
      std::getline(in, line);  // the header
      for (int number = 2; std::getline(in, line); ++number)
        per_site.back().push_back({partitions_.size() - 1, number, line});
    }
    // Deliver the sites' rows in turns, as two live feeds would arrive.
    for (std::size_t i = 0, left = 1; left > 0; ++i) {
      left = 0;
      for (const auto& site_rows : per_site) {
        if (i < site_rows.size()) {
          rows_.push_back(site_rows[i]);
          ++left;
        }
      }
    }
  }

  std::string type() const override { return "csv"; }
  std::vector<std::string> partitions() const override { return partitions_; }

  reel::poll_status poll(std::vector<reel::source_message>& out, std::size_t max) override {
    if (next_ == rows_.size()) return reel::poll_status::end_of_input;
    for (std::size_t n = 0; n < max && next_ < rows_.size(); ++n, ++next_) {
      const row& r = rows_[next_];
      reel::source_message m;
      m.document = document{{"sensor", field(r.text, 0)},
                            {"celsius", std::stod(field(r.text, 1))},
                            {"time", field(r.text, 2)}};
      m.partition = r.partition;
      m.metadata = {{"site", partitions_[r.partition]}};  // {$meta: "stream.source.site"}
      m.position = {{"site", partitions_[r.partition]}, {"line", r.line}};
      out.push_back(std::move(m));
    }
    return reel::poll_status::ready;
  }

  reel::json::document positions() const override { return next_; }
  void seek(const reel::json::document& p) override { next_ = p.get<std::size_t>(); }

 private:
  struct row {
    std::size_t partition;
    int line;
    std::string text;
  };
  static std::string field(const std::string& line, int index) {
    std::size_t from = 0;
    for (int i = 0; i < index; ++i)
      from = line.find(',', from) + 1;
    return line.substr(from, line.find(',', from) - from);
  }

  std::vector<std::string> partitions_;
  std::vector<row> rows_;
  std::size_t next_ = 0;
};

// -------------------------------------------------------------------------------------------
// The sink: prints rows. A document the sink cannot take alone is reported in `result`; the
// processor turns it into a DLQ record with the reason.
class table_sink final : public reel::sink {
 public:
  explicit table_sink(std::string title) { fmt::print("{}\n", title); }

  void write(std::span<const document> docs, reel::write_result& result) override {
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const document& d = docs[i];
      if (!d.contains("avg") || !d["avg"].is_number()) {
        result.rejected.emplace_back(i, "table_sink needs a numeric 'avg'");
        continue;
      }
      fmt::print("  {}  {:<4} avg {:5.1f}  max {:5.1f}  readings {}\n",
                 d["window"].get<std::string>(), d["sensor"].get<std::string>(),
                 d["avg"].get<double>(), d["max"].get<double>(), d["readings"].get<int>());
    }
  }
};

int main() {
  // Where the token comes from; a real deployment sets it outside the program.
  ::setenv("SENSOR_FEED_TOKEN", "not-printed-anywhere", 1);

  reel::connection_registry connections = reel::default_connections();

  // A connection type: how to check a definition and build a source or a sink from it.
  reel::connection_type csv;
  csv.check = [](const reel::connection_args& a) {
    reel::check_definition_keys(a, "csv", {"sites", "token"});
    if (!a.definition.contains("sites") || !a.definition["sites"].is_object()) {
      a.definition_error("/sites", "sites must be an object: {site: csv text}");
    }
  };
  csv.make_source = [](const reel::connection_args& a) -> std::unique_ptr<reel::source> {
    // a.definition["token"] holds the resolved secret here; a real source would log in with it.
    return std::make_unique<csv_source>(
        a.definition["sites"].get<std::map<std::string, std::string>>());
  };
  connections.register_type("csv", csv);

  reel::connection_type table;
  table.make_sink = [](const reel::connection_args& a) -> std::unique_ptr<reel::sink> {
    return std::make_unique<table_sink>(a.definition.value("title", a.name));
  };
  connections.register_type("table", table);

  connections.load_connections(document::parse(R"({
    "greenhouses": {
      "type": "csv",
      "token": {"$env": "SENSOR_FEED_TOKEN"},
      "sites": {
        "north": "sensor,celsius,time\nn1,21.5,2024-05-01T08:00:05Z\nn2,19.0,2024-05-01T08:00:40Z\nn1,22.5,2024-05-01T08:01:10Z\nn1,23.0,2024-05-01T08:02:30Z\n",
        "south": "sensor,celsius,time\ns1,24.0,2024-05-01T08:00:20Z\ns1,25.5,2024-05-01T08:01:45Z\ns1,26.0,2024-05-01T08:00:30Z\ns1,99.0,2024-05-01T08:02:50Z\n"
      }
    },
    "report": {"type": "table", "title": "Greenhouse temperatures per minute"}
  })"),
                               "connections.json");

  // An Atlas-style pipeline naming the connections. The south site's 08:00:30 reading arrives
  // after the 08:00 window closed: it is late and goes to the DLQ. The faulty 99 °C reading
  // has no average (a $cond makes it null), so the sink refuses it.
  const document pipeline = reel::json::parse_pipeline_text(R"([
    { $source: { connectionName: 'greenhouses', timeField: { $toDate: '$time' } } },
    { $tumblingWindow: {
        interval: { size: 1, unit: 'minute' }, allowedLateness: 0,
        pipeline: [
          { $group: { _id: '$sensor', avg: { $avg: '$celsius' }, max: { $max: '$celsius' },
                      readings: { $sum: 1 } } },
          { $project: { _id: 0, sensor: '$_id', readings: 1, max: 1,
                        avg: { $cond: [{ $gt: ['$max', 50] }, null, '$avg'] },
                        window: { $dateToString: { date: { $meta: 'stream.window.start' },
                                                   format: '%H:%M' } } } } ] } },
    { $emit: { connectionName: 'report' } }
  ])");

  reel::json::stream_processor_options options;
  options.name = "greenhouses";
  options.stream_meta = false;
  reel::json::stream_processor processor(pipeline, connections, options);
  processor.on_dead_letter([](const document& d) {
    fmt::print("  DLQ {}: {}", d["operatorName"].get<std::string>(),
               d["errInfo"]["reason"].get<std::string>());
    if (d.contains("_stream_meta"))
      fmt::print(" (position {})", d["_stream_meta"]["source"]["position"].dump());
    fmt::print("\n");
  });
  processor.process();  // reads the source to its end; every window then closes

  const document stats = processor.stats();
  fmt::print("input {}, output {}, dlq {}\n", stats["inputMessageCount"].get<int>(),
             stats["outputMessageCount"].get<int>(), stats["dlqMessageCount"].get<int>());
  // The registry lists definitions as written: the token stays a reference.
  for (const document& c : connections.describe()) {
    if (c["name"] == "greenhouses")
      fmt::print("token in the registry: {}\n", c["definition"]["token"].dump());
  }
}
