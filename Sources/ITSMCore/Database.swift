import CSQLiteSetup
import Foundation
import GRDB

#if canImport(Glibc)
  import Glibc
#endif

/// Where the shared database lives: `--db`, else `$ITSM_DB`, else
/// `$XDG_DATA_HOME/itsm/itsm.db` (`~/.local/share/itsm/itsm.db`).
public enum DatabaseLocation {
  public static func resolve(explicit: String?, environment: [String: String]) -> String {
    if let explicit, !explicit.isEmpty { return explicit }
    if let fromEnv = environment["ITSM_DB"], !fromEnv.isEmpty { return fromEnv }
    let dataHome =
      environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
    return dataHome + "/itsm/itsm.db"
  }
}

/// The one SQLite file that all itsm tools share. It owns the connection, runs migrations
/// under a file lock when the file is new or older, refuses a file from a newer itsm, and turns
/// SQLite failures into the contract's exit codes.
public final class AppDatabase: @unchecked Sendable {
  public let path: String
  public let writer: DatabaseQueue

  /// The busy timeout; the contract asks for at least 5 s. `ITSM_BUSY_TIMEOUT` (a duration)
  /// changes it, for tests that must see a timeout quickly.
  public static func busyTimeout(environment: [String: String]) -> TimeInterval {
    if let text = environment["ITSM_BUSY_TIMEOUT"], let d = try? DurationValue.parse(text) {
      return TimeInterval(d.seconds)
    }
    return 5
  }

  private init(path: String, writer: DatabaseQueue) {
    self.path = path
    self.writer = writer
  }

  /// Opens the database for reading. A file that does not exist yet reads as empty and is not
  /// created: the contract creates the file on first write only.
  public static func openForReading(path: String, environment: [String: String]) throws -> AppDatabase {
    if !FileManager.default.fileExists(atPath: path) { return try empty(standingFor: path, environment) }
    return try openForWriting(path: path, environment: environment)
  }

  /// An empty database in memory with the current schema, standing for a file that does not
  /// exist: reads find nothing, and dry runs change nothing on disk.
  public static func empty(standingFor path: String, _ environment: [String: String]) throws -> AppDatabase {
    try mapErrors(path) {
      let queue = try DatabaseQueue(configuration: configuration(environment))
      try Schema.migrator.migrate(queue)
      return AppDatabase(path: path, writer: queue)
    }
  }

  /// Opens the database, creating it (mode 0600, folders as needed) and migrating it first.
  public static func openForWriting(path: String, environment: [String: String]) throws -> AppDatabase {
    try mapErrors(path) {
      let folder = (path as NSString).deletingLastPathComponent
      if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
        do {
          try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
          throw ITSMError.io("cannot create the database folder \(folder): \(describe(error))")
        }
      }
      let config = configuration(environment)
      // The common case, without the lock: the file exists and is up to date. Anything else
      // (a file another process is creating or migrating right now, a failure to read it)
      // takes the locked path, which waits for that process and reports real errors.
      if FileManager.default.fileExists(atPath: path),
        let queue = try? DatabaseQueue(path: path, configuration: config),
        let state = try? queue.read({ db in
          (try Schema.migrator.hasBeenSuperseded(db), try Schema.migrator.hasCompletedMigrations(db))
        })
      {
        if state.0 { throw newerDatabase(path) }
        if state.1 { return AppDatabase(path: path, writer: queue) }
      }
      return try withFolderLock(folder.isEmpty ? "." : folder) {
        try createFile(path)
        let queue = try DatabaseQueue(path: path, configuration: config)
        if try queue.read({ try Schema.migrator.hasBeenSuperseded($0) }) { throw newerDatabase(path) }
        try queue.writeWithoutTransaction { db in
          if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
            try db.execute(sql: "PRAGMA journal_mode=WAL")
          }
        }
        try Schema.migrator.migrate(queue)
        return AppDatabase(path: path, writer: queue)
      }
    }
  }

  static func configuration(_ environment: [String: String]) -> Configuration {
    _ = AppDatabase.sqliteSetUp
    var config = Configuration()
    config.busyMode = .timeout(busyTimeout(environment: environment))
    config.foreignKeysEnabled = true
    config.label = "itsm"
    config.prepareDatabase { db in
      // A larger page cache keeps bulk imports' index pages in memory (32 MiB at most).
      try db.execute(sql: "PRAGMA cache_size = -32768")
    }
    return config
  }

  /// Process-wide SQLite settings, made once, before this process's first connection (every
  /// connection takes its configuration from `configuration`): memory statistics off (see
  /// CSQLiteSetup.h). The result: SQLITE_OK, or SQLITE_MISUSE when a connection opened
  /// elsewhere first (a test's), which leaves the default.
  static let sqliteSetUp = itsm_sqlite_disable_memstatus()

  /// For the read-only connections of a scan split between threads, and of a read beside a
  /// write (`flag`, `reclaim`): the default page cache (2 MiB), enough for the indexes' upper
  /// levels. A scan reads each page of a table once, and filling 32 MiB of cache on each
  /// thread cost more than it saved: it grew a thread's heap a page at a time. (`reclaim`'s
  /// reader also looks up each case's activity, in the order of the cases: measured only
  /// together with the other changes of its commit, it did not get slower.)
  static func scanConfiguration(_ environment: [String: String]) -> Configuration {
    var config = configuration(environment)
    config.readonly = true
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -2000") }
    return config
  }

  /// One message for a database this user may not write, whichever layer finds out.
  private static func readOnly(_ path: String, _ reason: String) -> ITSMError {
    .io(
      "\(path): cannot write the database: it is read-only (file or folder permissions, or a read-only file system: \(reason)); nothing changed"
    )
  }

  private static func newerDatabase(_ path: String) -> ITSMError {
    .configuration("\(path) was written by a newer version of itsm; upgrade itsm to use it (the file was not changed)")
  }

  /// Creates the database file with mode 0600 if it does not exist, so that SQLite never
  /// creates it (or its -wal and -shm files, which copy its mode) readable by others.
  private static func createFile(_ path: String) throws {
    let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      let reason = String(cString: strerror(errno))
      if FileManager.default.fileExists(atPath: path) && [EACCES, EPERM, EROFS].contains(errno) {
        throw readOnly(path, reason)
      }
      throw ITSMError.io("cannot create the database \(path): \(reason)")
    }
    close(fd)
  }

  /// Serializes first-time creation and migration between processes: Linux has no file
  /// coordination, so the folder that holds the database is locked with flock(2).
  private static func withFolderLock<T>(_ folder: String, _ body: () throws -> T) throws -> T {
    let fd = open(folder, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ITSMError.io("cannot open the database folder \(folder): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    defer { flock(fd, LOCK_UN) }
    return try body()
  }

  /// Runs `body` in one IMMEDIATE transaction: all of it is written or none of it. With
  /// `dryRun`, the work is done and then rolled back.
  public func write<T>(dryRun: Bool = false, _ body: (Database) throws -> T) throws -> T {
    try AppDatabase.mapErrors(path) {
      try writer.writeWithoutTransaction { db in
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(db)
          return dryRun ? .rollback : .commit
        }
        return result!
      }
    }
  }

  /// Like `write`, for input that arrives in bursts from a pipe: work happens in parts, each
  /// one IMMEDIATE transaction that `TransactionParts.open()` begins when there is work and
  /// `commit()` ends at a quiet moment. Between parts no lock is held, so a feed that never
  /// ends does not block the other tools. A failure rolls back only the open part; with
  /// `dryRun` every part is rolled back.
  public func writeInParts<T>(dryRun: Bool = false, _ body: (TransactionParts) throws -> T) throws -> T {
    try AppDatabase.mapErrors(path) {
      try writer.writeWithoutTransaction { db in
        let parts = TransactionParts(db: db, dryRun: dryRun)
        do {
          let result = try body(parts)
          try parts.commit()
          return result
        } catch {
          if db.isInsideTransaction { try? db.rollback() }
          throw error
        }
      }
    }
  }

  /// Runs `body` with a consistent snapshot of the database.
  public func read<T>(_ body: (Database) throws -> T) throws -> T {
    try AppDatabase.mapErrors(path) { try writer.read(body) }
  }

  /// Maps SQLite failures to the contract: busy 75, I/O and permissions 74, not a database 78.
  static func mapErrors<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as DatabaseError {
      throw translate(error, path: path)
    }
  }

  static func translate(_ error: DatabaseError, path: String) -> ITSMError {
    let message = error.message ?? "\(error.resultCode)"
    switch error.resultCode.primaryResultCode {
    case .SQLITE_BUSY, .SQLITE_LOCKED:
      return .busy(
        "\(path): the database is busy (locked by another process past the timeout); nothing changed, retry later")
    case .SQLITE_NOTADB, .SQLITE_CORRUPT:
      return .configuration("\(path): not a usable itsm database (\(message))")
    case .SQLITE_CONSTRAINT:
      return .operationFailed("\(path): \(message)")
    case .SQLITE_READONLY:
      return readOnly(path, message)
    case .SQLITE_FULL:
      return .io("\(path): the disk is full (or the file size limit was reached); nothing changed")
    case .SQLITE_IOERR:
      return .io("\(path): \(message): a full disk, a file size limit or a failing device; nothing changed")
    case .SQLITE_CANTOPEN:
      return .io(
        "\(path): cannot open the database (\(message)); check that the file and its folder are readable and writable")
    default:
      return .io("\(path): \(message)")
    }
  }

  private static func describe(_ error: Error) -> String {
    (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
  }
}

/// The transactions of `AppDatabase.writeInParts`.
public final class TransactionParts {
  public let db: Database
  let dryRun: Bool

  init(db: Database, dryRun: Bool) {
    self.db = db
    self.dryRun = dryRun
  }

  /// Begins a part unless one is open.
  public func open() throws {
    if !db.isInsideTransaction { try db.beginTransaction(.immediate) }
  }

  /// Ends the open part, if any: committed, or rolled back in a dry run.
  public func commit() throws {
    guard db.isInsideTransaction else { return }
    if dryRun { try db.rollback() } else { try db.commit() }
  }
}

extension AppDatabase {
  /// Runs `body(part, db)` for each of `parts` parts at once, each on a read-only connection
  /// of its own to the file: for scans that split a table between the machine's cores. Nil
  /// (run it on one connection instead) when the database is not a file or there is one part.
  /// Each part reads the last committed state when it starts: never this process's
  /// uncommitted writes. While this process holds the write lock nothing else commits, so
  /// every part sees the same state.
  public func readInParallel<T: Sendable>(
    parts: Int, environment: [String: String], _ body: @escaping @Sendable (Int, Database) throws -> T
  ) throws -> [T]? {
    guard parts > 1, writer.path != ":memory:", FileManager.default.fileExists(atPath: path) else { return nil }
    let config = AppDatabase.scanConfiguration(environment)
    let queues = try AppDatabase.mapErrors(path) {
      try (0..<parts).map { _ in try DatabaseQueue(path: path, configuration: config) }
    }
    let results = ResultSlots<T>(count: parts)
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      results.set(part, Result { try queues[part].read { try body(part, $0) } })
    }
    return try AppDatabase.mapErrors(path) { try results.values() }
  }
}

/// Results of parallel parts, filled from several threads.
final class ResultSlots<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Result<T, Error>?]

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ result: Result<T, Error>) {
    lock.lock()
    slots[index] = result
    lock.unlock()
  }

  func values() throws -> [T] {
    lock.lock()
    defer { lock.unlock() }
    return try slots.map { try $0!.get() }
  }
}

extension AppDatabase {
  /// Reads `parts` parts at once, each on a read-only connection of its own on a thread of
  /// its own, and hands what they send to `consume` on the calling thread, in batches through
  /// a bounded queue (memory stays flat). False, having done nothing, when the database is not
  /// a file. An error on either side stops both and is rethrown here.
  public func scanInParallel<T: Sendable>(
    parts: Int, environment: [String: String],
    produce: @escaping @Sendable (Int, Database, _ send: (T) throws -> Void) throws -> Void,
    consume: (T) throws -> Void
  ) throws -> Bool {
    guard writer.path != ":memory:", FileManager.default.fileExists(atPath: path) else { return false }
    let config = AppDatabase.scanConfiguration(environment)
    let queues = try AppDatabase.mapErrors(path) {
      try (0..<parts).map { _ in try DatabaseQueue(path: path, configuration: config) }
    }
    let channel = BatchChannel<T>(capacity: 16)
    let group = DispatchGroup()
    for part in 0..<parts {
      DispatchQueue.global().async(group: group) {
        let result = Result {
          try queues[part].read { db in
            var batch: [T] = []
            batch.reserveCapacity(512)
            try produce(part, db) { value in
              batch.append(value)
              if batch.count == 512 {
                guard channel.send(batch) else { throw CancellationError() }
                batch.removeAll(keepingCapacity: true)
              }
            }
            if !batch.isEmpty && !channel.send(batch) { throw CancellationError() }
          }
        }
        if case .failure(let error) = result, !(error is CancellationError) { channel.finish(error) }
      }
    }
    // The channel ends when every part has: a waiter finishes it.
    DispatchQueue.global().async {
      group.wait()
      channel.finish(nil)
    }
    defer {
      channel.cancel()
      group.wait()
    }
    try AppDatabase.mapErrors(path) {
      while let batch = try channel.next() {
        for value in batch { try consume(value) }
      }
    }
    return true
  }
}
