using System.Globalization;

namespace FedLlm.Encryption.Keys;

/// <summary>
/// The key holder's pins: for each member, the fingerprint of its key-exchange public key, collected out of band
/// (each member runs <c>fedllm client --print-fingerprint</c>). The key holder seals the HE key only to a relayed key
/// pinned for that member, so a server that substitutes its own key gets nothing it can open.
/// File format: one member a line, <c>&lt;client id or name&gt; &lt;fingerprint&gt;</c>; <c>#</c> starts a comment.
/// </summary>
public sealed class MemberFingerprints
{
    private readonly Dictionary<string, string> _byMember;

    private MemberFingerprints(string path, Dictionary<string, string> byMember)
    {
        Path = path;
        _byMember = byMember;
    }

    /// <summary>The file the pins came from, for log lines.</summary>
    public string Path { get; }

    public int Count => _byMember.Count;

    /// <exception cref="InvalidDataException">A line is not "member fingerprint", a fingerprint is not full, a member is listed twice, or the file lists none.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static MemberFingerprints Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var byMember = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            int comment = line.IndexOf('#', StringComparison.Ordinal);
            string[] fields = (comment >= 0 ? line[..comment] : line).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length != 2) throw new InvalidDataException($"{path}:{number}: expected '<client id or name> <fingerprint>', found {fields.Length} field(s)");
            if (KeyFingerprint.Problem(fields[1]) is { } problem) throw new InvalidDataException($"{path}:{number}: fingerprint of {fields[0]} {problem}");
            if (!byMember.TryAdd(fields[0], KeyFingerprint.Normalize(fields[1])))
                throw new InvalidDataException($"{path}:{number}: {fields[0]} is listed twice");
        }
        if (byMember.Count == 0) throw new InvalidDataException($"{path}: pins no member (one line each: '<client id or name> <fingerprint>')");
        return new MemberFingerprints(path, byMember);
    }

    /// <summary>Whether <paramref name="fingerprint"/> is the key pinned for the member with this id or name.</summary>
    public bool Pins(int clientId, string clientName, string fingerprint)
    {
        bool pinned = false;
        foreach (string member in new[] { clientName, clientId.ToString(CultureInfo.InvariantCulture) })
            if (_byMember.TryGetValue(member, out string? expected)) pinned |= KeyFingerprint.Same(expected, fingerprint);
        return pinned;
    }
}
