using System.Collections.Concurrent;
using FedLlm.Federation.Runs;

namespace FedLlm.Transport.Server;

/// <summary>
/// What the server learns about each member that joined (its record count at join, its training and held-out counts
/// from its answers), for the run's member table and report: the real federation, never the server's own data keys.
/// </summary>
public sealed class MemberRoster(IReadOnlyList<string> names)
{
    private readonly ConcurrentDictionary<int, (long Records, long Train, long HeldOut)> _members = new();

    public void Joined(int clientId, long records) =>
        _members.AddOrUpdate(clientId, (records, 0, 0), (_, m) => m with { Records = records });

    public void Trained(int clientId, long sampleCount) =>
        _members.AddOrUpdate(clientId, (0, sampleCount, 0), (_, m) => m with { Train = sampleCount });

    public void Evaluated(int clientId, long heldOut) =>
        _members.AddOrUpdate(clientId, (0, 0, heldOut), (_, m) => m with { HeldOut = heldOut });

    /// <summary>The record count the member registered at its latest join; null before it joined.</summary>
    public long? RegisteredRecords(int clientId) => _members.TryGetValue(clientId, out var member) && member.Records > 0 ? member.Records : null;

    public IReadOnlyList<FederationMember> Describe() =>
        [.. _members.OrderBy(m => m.Key).Select(m => new FederationMember(m.Key, names[m.Key],
            m.Value.Train > 0 ? m.Value.Train : m.Value.Records, m.Value.HeldOut))];
}
