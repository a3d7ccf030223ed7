"""Pure figure and table builders: DataFrames in, Plotly figures or grid rows out. No queries."""
