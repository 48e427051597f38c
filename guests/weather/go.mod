module langchain_wasm/guests/weather

go 1.22
