namespace FedLlm.Data.Model;

/// <summary>Base of the three example kinds a dataset can hold.</summary>
public abstract record Example(ExampleMetadata Metadata);
