using System.Globalization;
using Microsoft.Data.Sqlite;

namespace FedLlm.Transport.Server;

/// <summary>
/// The server's lasting record of a run in SQLite next to its checkpoints: members and when they were last seen,
/// finished rounds, the checkpoint index and an event log (joins, refusals, rejected updates). Survives restarts.
/// The file (and the run folder) is created by the first record, which comes only once the server listens: a server
/// that fails to start leaves the run folder as it was.
/// </summary>
public sealed class RunStateDatabase(string path) : IDisposable
{
    private readonly object _gate = new();
    private SqliteConnection? _connection;
    private bool _enabled;

    /// <summary>
    /// Allows records from now on: the server calls it once it listens and holds the run folder. Until then (a call in
    /// the moment between binding and locking) nothing is written; the log still has it.
    /// </summary>
    public void Enable()
    {
        lock (_gate) _enabled = true;
    }

    private SqliteConnection Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, joined_at TEXT, last_seen TEXT, joins INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, finished_at TEXT NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,
                update_norm REAL NOT NULL, wire_bytes_down INTEGER NOT NULL, wire_bytes_up INTEGER NOT NULL, seconds REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS checkpoints (round INTEGER PRIMARY KEY, path TEXT NOT NULL, written_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, client TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);
            """;
        create.ExecuteNonQuery();
        return connection;
    }

    public void ClientJoined(int id, string name) => Execute(
        "INSERT INTO clients (id, name, joined_at, last_seen, joins) VALUES ($id, $name, $now, $now, 1) " +
        "ON CONFLICT(id) DO UPDATE SET last_seen = $now, joins = joins + 1",
        ("$id", id), ("$name", name), ("$now", Now()));

    public void ClientSeen(int id) => Execute("UPDATE clients SET last_seen = $now WHERE id = $id", ("$id", id), ("$now", Now()));

    public void RoundFinished(int round, int accepted, int rejected, double updateNorm, long bytesDown, long bytesUp, double seconds) => Execute(
        "INSERT OR REPLACE INTO rounds VALUES ($round, $now, $accepted, $rejected, $norm, $down, $up, $seconds)",
        ("$round", round), ("$now", Now()), ("$accepted", accepted), ("$rejected", rejected), ("$norm", updateNorm),
        ("$down", bytesDown), ("$up", bytesUp), ("$seconds", seconds));

    public void CheckpointWritten(int round, string path) => Execute(
        "INSERT OR REPLACE INTO checkpoints VALUES ($round, $path, $now)", ("$round", round), ("$path", path), ("$now", Now()));

    public void Event(string kind, string? client, string message) => Execute(
        "INSERT INTO events (at, client, kind, message) VALUES ($now, $client, $kind, $message)",
        ("$now", Now()), ("$client", client), ("$kind", kind), ("$message", message));

    /// <summary>The members that have joined, as the database last saw them (for the live dashboard).</summary>
    public IReadOnlyList<MemberActivity> Members()
    {
        lock (_gate)
        {
            if (_connection is null) return [];
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, name, joined_at, last_seen, joins FROM clients ORDER BY id";
            using var reader = command.ExecuteReader();
            var members = new List<MemberActivity>();
            while (reader.Read())
                members.Add(new MemberActivity(reader.GetInt32(0), reader.GetString(1), Time(reader, 2), Time(reader, 3), reader.GetInt32(4)));
            return members;
        }
    }

    private static DateTimeOffset? Time(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : DateTimeOffset.Parse(reader.GetString(column), CultureInfo.InvariantCulture);

    public void Dispose() => _connection?.Dispose();

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            if (!_enabled) return;
            _connection ??= Open();
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            command.ExecuteNonQuery();
        }
    }
}

/// <summary>A member as the run state records it: when it first joined, when it was last heard from, how often it joined.</summary>
public sealed record MemberActivity(int ClientId, string Name, DateTimeOffset? JoinedAt, DateTimeOffset? LastSeen, int Joins);
