using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Splits;

/// <summary>
/// Quantity skew: records are IID but client sizes differ. Each client first gets <c>minPerClient</c> records; the rest
/// are shared in proportions drawn from Dir(α) (small α = very unequal) or from normalised log-normal weights exp(σ·z).
/// </summary>
public static class QuantitySkewSplitter
{
    public const string RandomPurpose = "split-quantity";

    public static ClientSplit Dirichlet(int recordCount, int clients, double alpha, ulong seed, int minPerClient = 1)
    {
        SplitArguments.RequirePositive(alpha, nameof(alpha));
        SplitArguments.RequireClients(clients, recordCount, minPerClient);
        var rng = Xoshiro256StarStar.ForPurpose(seed, RandomPurpose, 0);
        var proportions = new double[clients];
        rng.NextDirichlet(alpha, proportions);
        var parameters = new Dictionary<string, string>
        {
            ["alpha"] = SplitArguments.Format(alpha),
            ["minPerClient"] = SplitArguments.Format(minPerClient),
        };
        return Build(SplitMethods.QuantityDirichlet, recordCount, proportions, minPerClient, rng, seed, parameters);
    }

    public static ClientSplit LogNormal(int recordCount, int clients, double sigma, ulong seed, int minPerClient = 1)
    {
        SplitArguments.RequirePositive(sigma, nameof(sigma));
        SplitArguments.RequireClients(clients, recordCount, minPerClient);
        var rng = Xoshiro256StarStar.ForPurpose(seed, RandomPurpose, 1);
        var logWeights = new double[clients];
        for (int c = 0; c < clients; c++)
        {
            logWeights[c] = sigma * rng.NextGaussian();
        }
        double max = logWeights.Max();
        double sum = logWeights.Sum(w => Math.Exp(w - max));
        double[] proportions = [.. logWeights.Select(w => Math.Exp(w - max) / sum)];
        var parameters = new Dictionary<string, string>
        {
            ["sigma"] = SplitArguments.Format(sigma),
            ["minPerClient"] = SplitArguments.Format(minPerClient),
        };
        return Build(SplitMethods.QuantityLogNormal, recordCount, proportions, minPerClient, rng, seed, parameters);
    }

    private static ClientSplit Build(
        string method, int recordCount, double[] proportions, int minPerClient, Xoshiro256StarStar rng, ulong seed,
        Dictionary<string, string> parameters)
    {
        int clients = proportions.Length;
        int[] sizes = SplitArguments.Apportion(proportions, recordCount - minPerClient * clients);
        int[] order = [.. Enumerable.Range(0, recordCount)];
        rng.Shuffle(order.AsSpan());
        var shards = new List<int[]>(clients);
        int start = 0;
        for (int c = 0; c < clients; c++)
        {
            int size = sizes[c] + minPerClient;
            shards.Add(order[start..(start + size)]);
            start += size;
        }
        return new ClientSplit(method, recordCount, shards, seed, parameters: parameters);
    }
}
