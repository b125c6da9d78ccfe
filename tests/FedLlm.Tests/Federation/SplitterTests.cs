using System.Text.Json;
using FedLlm.Federation.Splits;

namespace FedLlm.Tests.Federation;

public class SplitterTests
{
    private static void AssertEveryRecordOnce(ClientSplit split)
    {
        int[] all = [.. split.Clients.SelectMany(c => c).Order()];
        Assert.Equal(Enumerable.Range(0, split.RecordCount), all);
        Assert.Equal(split.RecordCount, split.AssignedCount);
    }

    private static string[] TenLabelsOfHundred() => [.. Enumerable.Range(0, 1000).Select(i => $"label{i % 10}")];

    [Theory]
    [InlineData(100, 7)]
    [InlineData(20_000, 20)]
    [InlineData(5, 5)]
    public void IidShardsDifferByAtMostOneAndCoverEveryRecord(int records, int clients)
    {
        ClientSplit split = IidSplitter.Split(records, clients, seed: 2023);
        int[] sizes = split.Sizes();
        Assert.Equal(clients, split.ClientCount);
        Assert.True(sizes.Max() - sizes.Min() <= 1);
        AssertEveryRecordOnce(split);
        Assert.Equal(split.ToJson(), IidSplitter.Split(records, clients, seed: 2023).ToJson());
        Assert.NotEqual(split.ToJson(), IidSplitter.Split(records, clients, seed: 2024).ToJson());
    }

    [Fact]
    public void DirichletWithLargeAlphaIsNearUniform()
    {
        string[] labels = TenLabelsOfHundred();
        ClientSplit split = DirichletLabelSplitter.Split(labels, clients: 10, alpha: 1000, seed: 1);
        AssertEveryRecordOnce(split);
        SplitSummary summary = SplitSummary.Create(split, labels);
        // 100 records per label shared by 10 clients with p ≈ 1/10 ± 0.003: every cell is 10 ± a few.
        Assert.All(summary.Sizes, s => Assert.InRange(s, 85, 115));
        Assert.All(summary.LabelHistogram.SelectMany(row => row), count => Assert.InRange(count, 5, 15));
    }

    [Fact]
    public void DirichletWithSmallAlphaIsSkewed()
    {
        string[] labels = TenLabelsOfHundred();
        ClientSplit split = DirichletLabelSplitter.Split(labels, clients: 10, alpha: 0.05, seed: 1);
        AssertEveryRecordOnce(split);
        SplitSummary summary = SplitSummary.Create(split, labels);
        // Share of each label held by its largest client: ≈ 0.1 for IID, near 1 for α = 0.05.
        double meanTopShare = Enumerable.Range(0, 10).Average(label => summary.LabelHistogram.Max(row => row[label]) / 100.0);
        Assert.True(meanTopShare > 0.6, $"mean top share {meanTopShare}");
        double uniformTopShare = Enumerable.Range(0, 10).Average(label =>
            SplitSummary.Create(DirichletLabelSplitter.Split(labels, 10, 1000, 1), labels).LabelHistogram.Max(row => row[label]) / 100.0);
        Assert.True(uniformTopShare < 0.2, $"uniform top share {uniformTopShare}");
        Assert.All(summary.Sizes, s => Assert.True(s >= 1));
    }

    [Fact]
    public void DirichletIsReproducibleAndHonoursTheMinimum()
    {
        string[] labels = TenLabelsOfHundred();
        ClientSplit a = DirichletLabelSplitter.Split(labels, 20, 0.3, seed: 5, minPerClient: 10);
        ClientSplit b = DirichletLabelSplitter.Split(labels, 20, 0.3, seed: 5, minPerClient: 10);
        Assert.Equal(a.ToJson(), b.ToJson());
        Assert.All(a.Sizes(), s => Assert.True(s >= 10));
        Assert.Equal("0.3", a.Parameters["alpha"]);
        var impossible = Assert.Throws<InvalidOperationException>(() => DirichletLabelSplitter.Split(labels, 50, 0.001, 5, minPerClient: 15, maxAttempts: 3));
        Assert.Contains("raise alpha", impossible.Message);
    }

    [Fact]
    public void QuantitySkewSizesVaryButRecordsAreCovered()
    {
        ClientSplit skewed = QuantitySkewSplitter.Dirichlet(1000, 10, alpha: 0.3, seed: 8, minPerClient: 5);
        AssertEveryRecordOnce(skewed);
        int[] sizes = skewed.Sizes();
        Assert.All(sizes, s => Assert.True(s >= 5));
        Assert.True(sizes.Max() > 3 * sizes.Min(), string.Join(",", sizes));
        ClientSplit even = QuantitySkewSplitter.Dirichlet(1000, 10, alpha: 10_000, seed: 8);
        Assert.All(even.Sizes(), s => Assert.InRange(s, 90, 110));
        ClientSplit logNormal = QuantitySkewSplitter.LogNormal(1000, 10, sigma: 1.5, seed: 8, minPerClient: 2);
        AssertEveryRecordOnce(logNormal);
        Assert.True(logNormal.Sizes().Max() > 3 * logNormal.Sizes().Min());
        Assert.Equal(logNormal.ToJson(), QuantitySkewSplitter.LogNormal(1000, 10, 1.5, 8, 2).ToJson());
    }

    [Fact]
    public void NaturalSplitFollowsFirstAppearance()
    {
        ClientSplit split = NaturalSplitter.ByKey(["en", "fr", "en", "de", "fr"], "language");
        Assert.Equal(["en", "fr", "de"], split.ClientNames);
        Assert.Equal([0, 2], split.RecordsOf(0));
        Assert.Equal([1, 4], split.RecordsOf(1));
        Assert.Equal([3], split.RecordsOf(2));
        Assert.Equal("language", split.Parameters["field"]);
    }

    [Fact]
    public void NaturalSplitNamesTheRecordWithoutTheField()
    {
        JsonElement[] records = [.. new[] { """{"user":"a"}""", """{"user":7}""", """{"name":"x"}""" }.Select(j => JsonDocument.Parse(j).RootElement)];
        var error = Assert.Throws<ArgumentException>(() => NaturalSplitter.ByField(records, "user"));
        Assert.Equal("Record 2 has no field 'user' to split by.", error.Message);
        ClientSplit ok = NaturalSplitter.ByField(records[..2], "user");
        Assert.Equal(["a", "7"], ok.ClientNames);
    }

    [Fact]
    public void InvalidArgumentsAreExplained()
    {
        var alpha = Assert.Throws<ArgumentOutOfRangeException>(() => DirichletLabelSplitter.Split(["a", "b"], 2, 0, 1));
        Assert.Contains("alpha must be a finite number > 0 (got 0)", alpha.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantitySkewSplitter.Dirichlet(10, 2, -1, 1));
        var tooMany = Assert.Throws<ArgumentException>(() => IidSplitter.Split(3, 4, 1));
        Assert.Contains("Cannot split 3 records among 4 clients", tooMany.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => IidSplitter.Split(3, 0, 1));
        var minimum = Assert.Throws<ArgumentException>(() => QuantitySkewSplitter.LogNormal(10, 5, 1, 1, minPerClient: 3));
        Assert.Contains("at least 3 records", minimum.Message);
    }

    [Fact]
    public void SplitJsonRoundTripsAndRejectsOverlaps()
    {
        string[] labels = TenLabelsOfHundred();
        ClientSplit split = DirichletLabelSplitter.Split(labels, 7, 0.5, seed: ulong.MaxValue);
        ClientSplit back = ClientSplit.FromJson(split.ToJson());
        Assert.Equal(split.ToJson(), back.ToJson());
        Assert.Equal(ulong.MaxValue, back.Seed);
        Assert.Equal(SplitMethods.DirichletLabel, back.Method);
        ClientSplit named = NaturalSplitter.ByKey(["x", "y", "x"], "user");
        Assert.Equal(named.ClientNames, ClientSplit.FromJson(named.ToJson()).ClientNames);

        var overlap = Assert.Throws<ArgumentException>(() => new ClientSplit("manual", 3, [[0, 1], [1, 2]]));
        Assert.Contains("Record 1 is assigned to both client 0 and client 1", overlap.Message);
        var range = Assert.Throws<ArgumentException>(() => new ClientSplit("manual", 3, [[0, 3]]));
        Assert.Contains("Client 0 lists record 3, outside [0, 3)", range.Message);
        Assert.Throws<InvalidDataException>(() => ClientSplit.FromJson("""{"format":"something else"}"""));
        var badVersion = Assert.Throws<InvalidDataException>(() => ClientSplit.FromJson("""{"format":"fedllm.client-split","version":9}"""));
        Assert.Contains("version 9", badVersion.Message);
    }

    [Fact]
    public void SummaryReportsSizesAndHistogram()
    {
        ClientSplit split = new("manual", 5, [[0, 1, 2], [3, 4]]);
        SplitSummary summary = SplitSummary.Create(split, ["b", "a", "b", "a", "a"]);
        Assert.Equal(["a", "b"], summary.Labels);
        Assert.Equal([1, 2], summary.LabelHistogram[0]);
        Assert.Equal([2, 0], summary.LabelHistogram[1]);
        Assert.Equal((3, 2, 2.5, 0.5), (summary.MaxSize, summary.MinSize, summary.MeanSize, summary.StandardDeviation));
        Assert.Equal(["0", "1"], summary.ClientNames);
        Assert.Empty(SplitSummary.Create(split).Labels);
    }
}
