using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;

namespace FedLlm.Federation.Privacy;

/// <summary>One artefact that moved between parties, and the differential-privacy guarantee it carries about private records.</summary>
/// <param name="Epsilon">ε of the guarantee; 0 for public data; null for private records that never moved.</param>
/// <param name="Basis">Why that ε holds (the mechanism, or post-processing of which artefact).</param>
public sealed record LedgerEntry(string Artefact, string From, string To, double? Epsilon, double? Delta, string Basis);

/// <summary>A client's DP-SGD guarantee after a run, read from its own accountant (composed over every step of every round).</summary>
public sealed record ClientGuarantee(int ClientId, double Epsilon, double Delta, long Steps, double NoiseMultiplier, double SampleRate);

/// <summary>
/// A run's privacy ledger (KnowledgeSG's trust boundary, made explicit): which artefact left which party, and under
/// which (ε, δ). The ε of everything derived from a DP adapter is the adapter's own: differential privacy is closed
/// under post-processing, so generating, filtering, answering and fine-tuning on the server add no cost, as long as
/// nothing else private is touched. The ε is the client accountant's, never recomputed.
/// </summary>
public sealed class PrivacyLedger
{
    private readonly List<LedgerEntry> _entries = [];

    public IReadOnlyList<LedgerEntry> Entries => _entries;

    public void Add(LedgerEntry entry) => _entries.Add(entry);

    /// <summary>The guarantee client <paramref name="clientId"/>'s accountant holds at the end of a finished dp_sgd run.</summary>
    public static ClientGuarantee GuaranteeOf(RunDirectory run, RunConfig config, int clientId)
    {
        if (!config.Privacy.IsDpSgd) throw new ArgumentException($"{run.Path}: the run did not use privacy.mode dp_sgd, so no client accountant exists");
        var (accountant, _) = LocalClientTrainer.AccountantOf(new ClientStateStore(run.ClientStateDirectory), clientId, int.MaxValue);
        if (accountant.TotalSteps == 0) throw new InvalidOperationException($"{run.Path}: client {clientId} has no DP-SGD steps on record");
        var last = accountant.History[^1];
        return new ClientGuarantee(clientId, accountant.GetEpsilon(config.Privacy.Delta), config.Privacy.Delta, accountant.TotalSteps,
            last.NoiseMultiplier, last.SampleRate);
    }

    public JsonArray ToJson() => new([.. _entries.Select(e => (JsonNode)new JsonObject
    {
        ["artefact"] = e.Artefact, ["from"] = e.From, ["to"] = e.To, ["epsilon"] = e.Epsilon, ["delta"] = e.Delta, ["basis"] = e.Basis,
    })]);

    public string ToMarkdown()
    {
        var text = new StringBuilder("## Privacy ledger\n\n| artefact | from | to | ε | δ | why |\n|---|---|---|---:|---:|---|\n");
        foreach (var e in _entries)
            text.Append(CultureInfo.InvariantCulture, $"| {e.Artefact} | {e.From} | {e.To} | {Number(e.Epsilon)} | {Number(e.Delta)} | {e.Basis} |\n");
        return text.ToString();
    }

    private static string Number(double? value) => value is double v ? v.ToString("G4", CultureInfo.InvariantCulture) : "–";
}
