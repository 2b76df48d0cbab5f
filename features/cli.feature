Feature: The command line says what went wrong in one line
  An operator or an organisation's clerk runs `packtrace` by hand or from cron. A mistake — a forgotten
  --url, a server that does not answer, a refused token, a key file that is not a key, no database where
  the command runs, a database that cannot be used — ends in one line saying what to do and exit status 1,
  never a stack trace; and a command run in the wrong directory creates nothing there.

  Scenario: A forgotten --url names the address that was tried
    Given a clerk with a signing key and a file of events
    And PACKTRACE_PUBLIC_URL names a server that does not answer
    When the clerk submits the file without --url
    Then the command fails with exit status 1 and one line: "cannot reach http://127.0.0.1:9（无法连接服务器）: [Errno 111] Connection refused; no --url given, so PACKTRACE_PUBLIC_URL or its default was used: give --url"

  Scenario: A key file that is not a key
    Given a clerk with a signing key and a file of events
    When the clerk submits the file signed with the events file as the key
    Then the command fails with exit status 1 and one line: "bad key file（私钥文件无效）: {events} is not a private key in PEM, as `packtrace keygen` writes it"

  Scenario: "packtrace verify" outside a platform's directory creates nothing
    Given a directory without a packtrace database
    When the operator runs "packtrace verify" there
    Then the command fails with exit status 1 and one line: "configuration refused: no database at {here}/packtrace.db; run it where the platform's database is, or pass --database-url or set PACKTRACE_DATABASE_URL (nothing was created)"
    And the directory is still empty

  Scenario: A database server that does not answer
    When the operator runs "packtrace verify" on the database "postgresql+psycopg://nobody@127.0.0.1:9/packtrace"
    Then the command fails with exit status 1 and one line: "cannot use the database（无法使用数据库）: connection failed: connection to server at "127.0.0.1", port 9 failed: Connection refused; check --database-url or PACKTRACE_DATABASE_URL"
