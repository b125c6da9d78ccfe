using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using TorchSharp;

namespace FedLlm.Tests.SafeTensors;

public class ShardedSafeTensorsTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private void WriteShards()
    {
        using var scope = torch.NewDisposeScope();
        SafeTensorsWriter.Write(_directory.File(Shard1),
            [new("embed.weight", torch.arange(6, dtype: torch.float32).reshape(3, 2)), new("norm.weight", torch.ones(2))]);
        SafeTensorsWriter.Write(_directory.File(Shard2), [new("lm_head.weight", torch.full(4, 2.5f, dtype: torch.bfloat16))]);
    }

    private void WriteIndex(string weightMapJson) =>
        File.WriteAllText(_directory.File(ShardedSafeTensors.IndexFileName),
            "{\"metadata\":{\"total_size\":40},\"weight_map\":" + weightMapJson + "}");

    [Fact]
    public void IndexedShardsExposeEveryListedTensor()
    {
        WriteShards();
        WriteIndex($"{{\"embed.weight\":\"{Shard1}\",\"norm.weight\":\"{Shard1}\",\"lm_head.weight\":\"{Shard2}\"}}");

        using var weights = ShardedSafeTensors.Open(_directory.Path);
        Assert.Equal(["embed.weight", "lm_head.weight", "norm.weight"], weights.Tensors.Keys.Order());
        Assert.Equal(2, weights.Files.Count);
        Assert.Equal(_directory.File(Shard2), weights.FileOf("lm_head.weight").Path);
        using torch.Tensor head = weights.ReadTensor("lm_head.weight");
        Assert.Equal(torch.bfloat16, head.dtype);
        Assert.Equal(new float[] { 2.5f, 2.5f, 2.5f, 2.5f }, head.to(torch.float32).data<float>().ToArray());
        using torch.Tensor embed = weights.ReadTensor("embed.weight");
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, embed.data<float>().ToArray());
    }

    [Fact]
    public void TensorMissingFromItsShardNamesTensorAndShard()
    {
        WriteShards();
        WriteIndex($"{{\"embed.weight\":\"{Shard1}\",\"lm_head.weight\":\"{Shard1}\"}}");

        var error = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(_directory.Path));
        Assert.Equal("lm_head.weight", error.TensorName);
        Assert.Contains("'lm_head.weight'", error.Message);
        Assert.Contains(Shard1, error.Message);
        Assert.Contains(ShardedSafeTensors.IndexFileName, error.Message);
    }

    [Fact]
    public void MissingShardFileIsFileNotFoundNamingIt()
    {
        WriteShards();
        WriteIndex("{\"embed.weight\":\"model-00009-of-00009.safetensors\"}");

        var error = Assert.Throws<FileNotFoundException>(() => ShardedSafeTensors.Open(_directory.Path));
        Assert.Equal(_directory.File("model-00009-of-00009.safetensors"), error.FileName);
        Assert.Contains("model-00009-of-00009.safetensors", error.Message);
        Assert.Contains("'embed.weight'", error.Message);
    }

    [Fact]
    public void NoWeightsAtAllIsFileNotFoundNamingTheDirectory()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ShardedSafeTensors.Open(_directory.Path));
        Assert.Contains(_directory.Path, error.Message);
        Assert.Contains(ShardedSafeTensors.IndexFileName, error.Message);
        Assert.Contains(ShardedSafeTensors.SingleFileName, error.Message);
    }

    [Fact]
    public void SingleFileIsUsedWhenThereIsNoIndex()
    {
        using (torch.Tensor x = torch.ones(3))
            SafeTensorsWriter.Write(_directory.File(ShardedSafeTensors.SingleFileName), [new("x", x)]);

        using var weights = ShardedSafeTensors.Open(_directory.Path);
        Assert.True(weights.Contains("x"));
        Assert.Single(weights.Files);
        var buffer = new byte[12];
        weights.ReadBytes("x", buffer);
        Assert.Equal(1f, BitConverter.ToSingle(buffer, 8));
        var missing = Assert.Throws<KeyNotFoundException>(() => weights.ReadTensor("y"));
        Assert.Contains(_directory.Path, missing.Message);
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/model.safetensors")]
    [InlineData("")]
    public void ShardNamesMustBePlainFileNames(string shardName)
    {
        WriteIndex($"{{\"embed.weight\":\"{shardName}\"}}");

        var error = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(_directory.Path));
        Assert.Equal("embed.weight", error.TensorName);
        Assert.Contains("not a plain file name", error.Message);
    }

    [Fact]
    public void IndexWithoutWeightMapIsRejected()
    {
        File.WriteAllText(_directory.File(ShardedSafeTensors.IndexFileName), "{\"metadata\":{}}");
        var error = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(_directory.Path));
        Assert.Contains("no 'weight_map'", error.Message);
    }

    [Fact]
    public void CorruptShardReportsTheShardFile()
    {
        File.WriteAllBytes(_directory.File(Shard1), new byte[4]);
        WriteIndex($"{{\"embed.weight\":\"{Shard1}\"}}");

        var error = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(_directory.Path));
        Assert.Equal(_directory.File(Shard1), error.FilePath);
    }

    [Fact]
    public void MissingDirectoryIsDirectoryNotFound() =>
        Assert.Throws<DirectoryNotFoundException>(() => ShardedSafeTensors.Open(_directory.File("nope")));
}
