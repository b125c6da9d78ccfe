namespace FedLlm.Data.Formats;

/// <summary>A record that does not fit its format (missing field, wrong type, empty response); the loader adds the location.</summary>
public sealed class RecordConversionException(string reason) : Exception(reason);
