#ifndef CSQLITESETUP_H
#define CSQLITESETUP_H

/// Turns SQLite's memory statistics off, for the whole process. Must run before SQLite
/// initializes (before the first connection opens): returns SQLITE_OK (0), or SQLITE_MISUSE
/// when it is too late, which changes nothing.
///
/// With statistics on (the library's default), every allocation SQLite makes takes one lock
/// that every connection in the process shares. itsm reads on one thread while it writes on
/// another, or reads a table on two threads at once: both allocate all the time, and waited
/// on that lock thousands of times a run. Swift cannot call sqlite3_config, a variadic C
/// function, itself: hence this file.
int itsm_sqlite_disable_memstatus(void);

#endif
