using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Synthesis.Output;

namespace FedLlm.Tests.Synthesis;

public class SyntheticDatasetWriterTests
{
    [Fact]
    public void RowsAreReadBackByFedLlmsLoaderWithTheirTags()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fedllm-synth-{Guid.NewGuid():N}", "u2s.jsonl");
        try
        {
            int written = SyntheticDatasetWriter.Write(path,
            [
                new SyntheticExample("What lowers a fever?", "Rest and \"fluids\".\nSee a doctor.", "u2s", "wiki_demo.txt#3") { ClientId = "2" },
                new SyntheticExample("Name a symptom of anemia.", "Fatigue.", "fedgc") { Category = "medicine" },
            ]);
            Assert.Equal(2, written);
            Assert.False(File.Exists(path + ".tmp"));
            var loaded = DatasetLoader.Load<InstructionExample>(path);
            Assert.Equal(2, loaded.Examples.Count);
            Assert.Equal("Rest and \"fluids\".\nSee a doctor.", loaded.Examples[0].Conversation.Turns[1].Content);
            Assert.Equal("2", loaded.Examples[0].Metadata.ClientId);
            Assert.Equal("medicine", loaded.Examples[1].Metadata.Category);
            Assert.Contains("\"origin\":\"u2s\",\"source\":\"wiki_demo.txt#3\"", File.ReadAllLines(path)[0]);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void AFailureLeavesThePreviousFileWhole()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fedllm-synth-{Guid.NewGuid():N}.jsonl");
        try
        {
            SyntheticDatasetWriter.Write(path, [new SyntheticExample("Q?", "A.", "u2s")]);
            string before = File.ReadAllText(path);
            IEnumerable<SyntheticExample> Failing()
            {
                yield return new SyntheticExample("Q2?", "A2.", "u2s");
                throw new IOException("generator went away");
            }
            Assert.Throws<IOException>(() => SyntheticDatasetWriter.Write(path, Failing()));
            Assert.Equal(before, File.ReadAllText(path));
            Assert.False(File.Exists(path + ".tmp"));
            Assert.Throws<ArgumentException>(() => SyntheticDatasetWriter.Write(path, [new SyntheticExample("Q?", " ", "u2s")]));
            Assert.Equal(before, File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
