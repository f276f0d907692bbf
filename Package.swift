// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "itsm",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "itsm-incident", targets: ["itsm-incident"]),
    .executable(name: "itsm-escalate", targets: ["itsm-escalate"]),
    .executable(name: "itsm-fmea", targets: ["itsm-fmea"]),
    .executable(name: "itsm-license", targets: ["itsm-license"]),
    .executable(name: "itsm-report", targets: ["itsm-report"]),
    .executable(name: "itsm-gen", targets: ["itsm-gen"]),
    .library(name: "ITSMCore", targets: ["ITSMCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    // The alert receiver (itsm-incident alert --listen); its optional traits are left off.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
  ],
  targets: [
    // The one SQLite setting Swift cannot make (sqlite3_config is variadic).
    .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
    .target(
      name: "ITSMCore",
      dependencies: [
        "CSQLiteSetup",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Yams", package: "Yams"),
      ]),
    .target(
      name: "ITSMCommandSupport",
      dependencies: [
        "ITSMCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "itsm-incident",
      dependencies: ["ITSMCore", "ITSMCommandSupport", .product(name: "Hummingbird", package: "hummingbird")]),
    .executableTarget(name: "itsm-escalate", dependencies: ["ITSMCore", "ITSMCommandSupport"]),
    .executableTarget(name: "itsm-fmea", dependencies: ["ITSMCore", "ITSMCommandSupport"]),
    .executableTarget(name: "itsm-license", dependencies: ["ITSMCore", "ITSMCommandSupport"]),
    .executableTarget(name: "itsm-report", dependencies: ["ITSMCore", "ITSMCommandSupport"]),
    .executableTarget(name: "itsm-gen", dependencies: ["ITSMCore", "ITSMCommandSupport"]),
    // The readers under fuzzing; a normal build replays the kept corpus (scripts/stress).
    .executableTarget(name: "itsm-fuzz", dependencies: ["ITSMCore"]),
    .testTarget(name: "ITSMCoreTests", dependencies: ["ITSMCore"]),
    .testTarget(name: "EndToEndTests", dependencies: ["ITSMCore"], exclude: ["Golden"]),
  ]
)
