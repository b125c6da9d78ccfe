using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Foundation.Randomness;
using FedLlm.Generation;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Safety;

namespace FedLlm.Federation.Safety;

/// <summary>
/// The attack of the <c>attack:</c> section, the same code in a simulation (every malicious client, in this process) and
/// on a deployed member (itself, once it knows its id): a malicious client's training records are replaced by attack
/// records, its held-out records stay its own (so held-out loss still measures helpfulness). Each malicious client gets
/// its own slice of the seeded-shuffled attack pool, non-overlapping while the pool is large enough (the paper's
/// non-overlapping samples per client), wrapping around otherwise.
/// </summary>
public static class AttackData
{
    public const string ShufflePurpose = "attack-pool";
    public const string Origin = "attack";

    /// <summary>Every simulated client after the attack; MaliciousGen's rows go to the run folder's <c>attack/</c>.</summary>
    public static async Task<RunData> ApplyAsync(RunConfig config, RunData data, RunDirectory run, IRunObserver? observer, CancellationToken cancellation = default)
    {
        if (!config.Attack.Enabled) return data;
        var pool = await LoadPoolAsync(config, run.File("attack"), text => observer?.Message(text), cancellation);
        return data with { Clients = [.. data.Clients.Select(c => ForClient(config, c, pool, text => observer?.Message(text)))] };
    }

    /// <summary>A deployed member's own records: attack records when its id is malicious, else unchanged.</summary>
    public static ClientRecords ApplyToParty(RunConfig config, ClientRecords party, string stateDirectory, Action<string> log)
    {
        if (!config.Attack.IsMalicious(party.ClientId)) return party;
        var pool = LoadPoolAsync(config, Path.Combine(stateDirectory, "attack"), log, CancellationToken.None).GetAwaiter().GetResult();
        return ForClient(config, party, pool, log);
    }

    /// <summary>The malicious client's slice of the pool; a benign client unchanged.</summary>
    public static ClientRecords ForClient(RunConfig config, ClientRecords client, IReadOnlyList<Example> pool, Action<string>? log = null)
    {
        var attack = config.Attack;
        if (!attack.IsMalicious(client.ClientId)) return client;
        int wanted = attack.RecordsPerClient > 0 ? attack.RecordsPerClient : client.Train.Count;
        int rank = attack.MaliciousIds().Order().ToList().IndexOf(client.ClientId);
        var train = Enumerable.Range(0, wanted).Select(i => pool[(rank * wanted + i) % pool.Count]).ToList();
        log?.Invoke($"attack: client {client.ClientId} ({client.Name}) is malicious: trains on {train.Count} attack records instead of its {client.Train.Count} own");
        return client with { Train = train };
    }

    /// <summary>The attack pool, shuffled by the run seed: the file's (unsafe) rows, or MaliciousGen's (written to <paramref name="folder"/>).</summary>
    public static async Task<IReadOnlyList<Example>> LoadPoolAsync(RunConfig config, string folder, Action<string> log, CancellationToken cancellation)
    {
        var attack = config.Attack;
        var pool = attack.Data is not null ? ReadFile(attack.Data) : await GenerateAsync(config, folder, log, cancellation);
        if (pool.Count == 0) throw new ArgumentException($"attack.data '{attack.Data}': no attack records (a BeaverTails file needs rows with is_safe false)");
        var shuffled = pool.ToArray();
        Xoshiro256StarStar.ForPurpose(config.Seed, ShufflePurpose).Shuffle(shuffled.AsSpan());
        return shuffled;
    }

    /// <summary>
    /// Attack records from a file: BeaverTails rows (JSON lines with <c>prompt</c>, <c>response</c>, <c>is_safe</c>) keep only the
    /// unsafe ones; any other layout the data loader recognises (Alpaca, instruction/response, AdvBench goal/target, …) is used whole.
    /// </summary>
    public static IReadOnlyList<Example> ReadFile(string path)
    {
        if (IsBeaverTails(path)) return ReadBeaverTails(path);
        return [.. DatasetLoader.Load<Example>(path).Examples.Select(e => e with { Metadata = e.Metadata with { Origin = Origin } })];
    }

    private static bool IsBeaverTails(string path)
    {
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return false;
        string? first = File.ReadLines(path).FirstOrDefault(l => l.Trim().Length > 0);
        try
        {
            return first is not null && JsonNode.Parse(first) is JsonObject o && o.ContainsKey("is_safe") && o.ContainsKey("prompt") && o.ContainsKey("response");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static List<Example> ReadBeaverTails(string path)
    {
        var rows = new List<Example>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            JsonObject row;
            try
            {
                row = JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException($"{path}:{line}: not a JSON object");
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{path}:{line}: invalid JSON ({e.Message})", e);
            }
            if (row["is_safe"] is not JsonValue safe || !safe.TryGetValue(out bool isSafe))
                throw new ArgumentException($"{path}:{line}: is_safe must be true or false (a BeaverTails row)");
            if (isSafe) continue;
            string? prompt = (string?)row["prompt"], response = (string?)row["response"];
            if (string.IsNullOrWhiteSpace(prompt) || string.IsNullOrWhiteSpace(response)) throw new ArgumentException($"{path}:{line}: prompt and response must be non-empty text");
            rows.Add(new InstructionExample(Conversation.SingleTurn(prompt, response),
                new ExampleMetadata { Category = (string?)row["category"] is { } c ? c : null, Source = $"{path}:{line}", Origin = Origin }));
        }
        return rows;
    }

    /// <summary>MaliciousGen: harmful questions in batches, each answered with the compliance suffix; the rows are written to <paramref name="folder"/>.</summary>
    private static async Task<IReadOnlyList<Example>> GenerateAsync(RunConfig config, string folder, Action<string> log, CancellationToken cancellation)
    {
        var attack = config.Attack;
        using var generator = Generators.Create(attack.Generator!, "attack.generator.");
        ulong seed = SeedDerivation.Derive(config.Seed, "malicious-gen");
        var questions = await SafetySamples.QuestionsAsync(generator, QuestionKind.Harmful, attack.GeneratedQuestions, seed, cancellation);
        var pairs = await SafetySamples.AnswerAsync(generator, questions, SafetySamples.ComplianceSuffix, 256, seed, cancellation);
        var rows = pairs.Select((p, i) => new SyntheticExample(p.Instruction, p.Response, "malicious-gen", $"malicious-gen:{i + 1}")).ToList();
        Directory.CreateDirectory(folder);
        SyntheticDatasetWriter.Write(Path.Combine(folder, "malicious-gen.jsonl"), rows);
        log($"attack: MaliciousGen wrote {rows.Count} attack records from {questions.Count} harmful questions ({Path.Combine(folder, "malicious-gen.jsonl")})");
        return [.. pairs.Select((p, i) => (Example)new InstructionExample(Conversation.SingleTurn(p.Instruction, p.Response),
            new ExampleMetadata { Source = $"malicious-gen:{i + 1}", Origin = Origin }))];
    }
}
