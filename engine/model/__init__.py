"""Enterprise profiles, credit codes and typed results: the data every layer shares."""
